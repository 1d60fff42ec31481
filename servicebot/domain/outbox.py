"""Outgoing messages that must arrive once: the rules of the outbox, without I/O.

Every message to Slack that is not the immediate acknowledgement is first recorded (with a key that makes
recording it twice a no-op), then delivered by the relay, in order within its thread. A delivery either
succeeded, failed in a way that may pass (rate limited, Slack's servers or the network down: tried again
later, as long as Slack's own Retry-After says, with growing pauses), or failed for good (a channel
that does not exist, a malformed message: trying again cannot help, so it waits for a person).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Message:
    id: int
    key: str
    thread: str
    method: str
    payload: dict[str, Any]
    status: Status
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None
    result: dict[str, Any] | None = None
    claimed_until: datetime | None = None  # a claimed message is its relay's until then
    taken_over: bool = False  # claimed from a relay whose claim lapsed: it may have sent it, then died


# What the core asks to send, in its own terms: the front end renders it (Block Kit in Slack) at delivery.
NOTICE, UPLOAD = "notice", "upload"


@dataclass(frozen=True)
class Notice:
    """A message about something in the core. `kind` names how the front end shows it, `data` holds the
    facts it shows (JSON values, no markup), `to` is a channel id or a user id (a user: a direct message).
    `reply_to`: the key of an earlier outbox message whose thread this goes into, found at delivery from
    what Slack answered when that one was sent; record both in the same outbox thread so it is sent first."""

    kind: str
    to: str
    data: dict[str, Any] = field(default_factory=dict)
    reply_to: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "to": self.to, "data": self.data, "reply_to": self.reply_to}

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Notice:
        data = dict(payload.get("data") or {})
        return cls(str(payload["kind"]), str(payload["to"]), data, payload.get("reply_to"))


@dataclass(frozen=True)
class Upload:
    """A file shared into a channel, a direct message or (`reply_to`) the thread of an earlier message."""

    to: str
    filename: str
    title: str
    content: bytes
    comment: str = ""
    reply_to: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "filename": self.filename,
            "title": self.title,
            "content": base64.b64encode(self.content).decode("ascii"),
            "comment": self.comment,
            "reply_to": self.reply_to,
        }

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Upload:
        try:
            content = base64.b64decode(str(payload["content"]), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"an upload's content is not base64: {exc}") from None
        return cls(
            str(payload["to"]),
            str(payload["filename"]),
            str(payload["title"]),
            content,
            str(payload.get("comment") or ""),
            payload.get("reply_to"),
        )


# What one delivery attempt came to.
@dataclass(frozen=True)
class Sent:
    result: dict[str, Any]


@dataclass(frozen=True)
class TryAgain:
    error: str
    retry_after: float | None = None  # seconds, when Slack said how long to wait

    @classmethod
    def unanswered(cls, error: str, settle: float | None = None) -> TryAgain:
        """A try that got no answer (timed out, the connection dropped): it may have been done all the same,
        so the next try asks first (`maybe_sent`), and not before `settle` seconds, by when a request still
        under way on the other side has been done or dropped."""
        return cls(NO_ANSWER + error, settle)


# How a stored error says its try went unanswered: kept as the start of the error (the outbox stores the
# error, and this needs no column of its own), so the next try knows to ask before it sends again.
NO_ANSWER = "no answer: "


def maybe_sent(last_error: str | None) -> bool:
    """Whether the last try of a message may have been done though no answer came."""
    return (last_error or "").startswith(NO_ANSWER)


@dataclass(frozen=True)
class GiveUp:
    error: str


Attempt = Sent | TryAgain | GiveUp


@dataclass(frozen=True)
class RetryPolicy:
    """Pauses of first, first×factor, … up to `cap`, for `max_attempts` tries in all. The defaults ride out
    a Slack outage of about half an hour (2 s, 4 s, … 5 min, then every 5 min) before a message waits
    for a person; Slack's Retry-After, when given, is waited for instead (never less)."""

    first: float = 2.0
    factor: float = 2.0
    cap: float = 300.0
    max_attempts: int = 15

    def __post_init__(self) -> None:
        if self.first <= 0 or self.factor < 1 or self.cap < self.first or self.max_attempts < 1:
            raise ValueError(f"not a retry policy: {self}")

    def next_attempt(self, attempts: int, now: datetime, retry_after: float | None = None) -> datetime | None:
        """When to try again after `attempts` failed tries (counting the one just made); None: give up."""
        if attempts >= self.max_attempts:
            return None
        pause = min(self.cap, self.first * self.factor ** max(0, attempts - 1))
        if retry_after is not None:
            pause = max(pause, retry_after)
        return now + timedelta(seconds=pause)
