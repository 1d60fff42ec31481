"""The core's messages as Slack mrkdwn: user ids become mentions, structure becomes markup."""

from __future__ import annotations

from servicebot.domain.message import Code, Emphasis, Message, Span, Strong, User


def mrkdwn(message: Message) -> str:
    return "".join(_span(span) for span in message.spans)


def _span(span: Span) -> str:
    if isinstance(span, str):
        return span
    if isinstance(span, User):
        return f"<@{span.id}>"
    if isinstance(span, Strong):
        return f"*{span.text}*"
    if isinstance(span, Emphasis):
        return f"_{span.text}_"
    assert isinstance(span, Code)
    return f"`{span.text}`"
