"""Words for people, with structure instead of markup.

The core says who (a user id) and what to stress; each front end renders it: Slack as mrkdwn with
`<@U…>` mentions (`handlers.blocks.mrkdwn`), the console as plain text (`str(message)`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """A person, by user id (a Slack id such as U012AB3CD, or a console user's name)."""

    id: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Emphasis:
    text: str


@dataclass(frozen=True)
class Code:
    """Something to type as it stands: a command, an id."""

    text: str


Span = str | User | Strong | Emphasis | Code


@dataclass(frozen=True)
class Message:
    spans: tuple[Span, ...] = ()

    def __str__(self) -> str:
        """Plain text: what a terminal, a log or a test reads."""
        return "".join(plain(span) for span in self.spans)


def plain(span: Span) -> str:
    if isinstance(span, str):
        return span
    if isinstance(span, User):
        return span.id
    return span.text


def say(*parts: Span | Message) -> Message:
    """A message from text, spans and other messages, in order."""
    return Message(tuple(_flatten(parts)))


def _flatten(parts: Iterable[Span | Message]) -> Iterable[Span]:
    for part in parts:
        if isinstance(part, Message):
            yield from part.spans
        elif part != "":
            yield part


# Data a desk lead writes (small talk's replies) marks stress the way chat does; spans, not markup, go on.
# Built from the marks so that no literal here reads as markup (tests/unit/test_architecture.py). An
# underscore marks emphasis only at word edges, so snake_case stays as it is.
_MARKED = re.compile(
    "|".join(
        rf"{edge}{re.escape(mark)}(?P<{name}>[^{re.escape(mark)}\n]+){re.escape(mark)}{edge}"
        for name, mark, edge in (("strong", "*", ""), ("emphasis", "_", r"\b"), ("code", chr(96), ""))
    )
)


def from_marked(text: str) -> Message:
    """A message from text with *strong*, _emphasis_ and `code` marks; anything else is plain text."""
    spans: list[Span] = []
    at = 0
    for found in _MARKED.finditer(text):
        spans.append(text[at : found.start()])
        if found["strong"] is not None:
            spans.append(Strong(found["strong"]))
        elif found["emphasis"] is not None:
            spans.append(Emphasis(found["emphasis"]))
        else:
            spans.append(Code(found["code"]))
        at = found.end()
    spans.append(text[at:])
    return say(*spans)


# A message as JSON values, for what is stored before it is shown (a notice in the outbox): plain text
# stays a string; every other span is a one-key object naming its kind.
_KINDS: dict[str, type[User | Strong | Emphasis | Code]] = {
    "user": User,
    "strong": Strong,
    "emphasis": Emphasis,
    "code": Code,
}


def to_data(message: Message) -> list[str | dict[str, str]]:
    out: list[str | dict[str, str]] = []
    for span in message.spans:
        if isinstance(span, str):
            out.append(span)
        elif isinstance(span, User):
            out.append({"user": span.id})
        else:
            out.append({type(span).__name__.lower(): span.text})
    return out


def from_data(data: object) -> Message:
    """The message `to_data` gave; a ValueError names what is not one."""
    if not isinstance(data, list):
        raise ValueError(f"a stored message is a list of spans, not {type(data).__name__}")
    spans: list[Span] = []
    for item in data:
        if isinstance(item, str):
            spans.append(item)
            continue
        if not (isinstance(item, dict) and len(item) == 1):
            raise ValueError(f"not a stored span: {item!r}")
        [(kind, value)] = item.items()
        if kind not in _KINDS or not isinstance(value, str):
            raise ValueError(f"not a stored span: {item!r}")
        spans.append(_KINDS[kind](value))
    return Message(tuple(spans))
