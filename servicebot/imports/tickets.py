"""Past tickets from the desk's previous system, one row per ticket with what happened to it:
`ref,desk,logged_at` and optionally `text,requester,source,intent,queue,first_response_at,resolved_at,
resolver,escalated,transferred,follow_up,reopened,self_service,rating,rated_at`.

Each row becomes a ticket whose history is built through the ticket aggregate's own commands (so an
imported history is one the bot could have recorded, and its contact facts are the same fold), kept
under its old reference so that importing the file again adds nothing.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from servicebot.imports import csvfile
from servicebot.imports.csvfile import FieldError, Parsed

REQUIRED = ("ref", "desk", "logged_at")
OPTIONAL = (
    "text",
    "requester",
    "source",
    "intent",
    "queue",
    "first_response_at",
    "resolved_at",
    "resolver",
    "escalated",
    "transferred",
    "follow_up",
    "reopened",
    "self_service",
    "rating",
    "rated_at",
)
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_SOURCE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_TEXT = 4_000


@dataclass(frozen=True)
class PastTicket:
    ref: str
    desk: str
    logged_at: datetime
    text: str
    requester: str
    source: str
    intent: str | None
    queue: str | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolver: str
    escalated: bool
    transferred: bool
    follow_up: bool
    reopened: bool
    self_service: bool
    rating: bool | None
    rated_at: datetime | None


@dataclass(frozen=True)
class DeskRules:
    """What a desk accepts: its queues (id → support line), its intents (id → queue) and its default
    and 2nd-line queues."""

    queues: Mapping[str, int]
    intents: Mapping[str, str]
    default_queue: str
    second_line_queue: str


def _name(row: dict[str, str], field: str, default: str, pattern: re.Pattern[str], what: str) -> str:
    value = row.get(field, "").strip()
    if not value:
        return default
    if not pattern.match(value):
        raise FieldError(field, f"{value!r} is not {what}")
    return value


def _after(
    row: dict[str, str], field: str, tz: ZoneInfo, earliest: datetime, earliest_field: str
) -> datetime | None:
    at = csvfile.instant(row, field, tz, required=False)
    if at is not None and at < earliest:
        raise FieldError(field, f"is before {earliest_field}")
    return at


def record(
    desks: Mapping[str, DeskRules], tz: ZoneInfo, now: datetime | None = None
) -> Callable[[dict[str, str]], PastTicket]:
    def parse(row: dict[str, str]) -> PastTicket:
        ref = row.get("ref", "").strip()
        if not _REF.match(ref):
            raise FieldError("ref", f"{ref!r} is not a ticket reference (letters, digits, . _ / -)")
        desk = csvfile.text(row, "desk", max_length=32)
        rules = desks.get(desk)
        if rules is None:
            raise FieldError("desk", f"{desk!r} is not a desk; the desks are {', '.join(sorted(desks))}")
        logged_at = csvfile.instant(row, "logged_at", tz)
        assert logged_at is not None  # required
        if now is not None and logged_at > now:
            raise FieldError("logged_at", "is in the future")
        text = csvfile.text(row, "text", max_length=MAX_TEXT, required=False) or f"(imported ticket {ref})"
        intent = row.get("intent", "").strip() or None
        if intent is not None and intent not in rules.intents:
            raise FieldError("intent", f"{intent!r} is not one of the {desk} desk's intents")
        queue = row.get("queue", "").strip() or None
        if queue is not None and queue not in rules.queues:
            raise FieldError("queue", f"{queue!r} is not one of the {desk} desk's queues")
        first_response = _after(row, "first_response_at", tz, logged_at, "logged_at")
        resolved_at = _after(row, "resolved_at", tz, logged_at, "logged_at")
        flags = {
            name: csvfile.boolean(row, name, default=False)
            for name in ("escalated", "transferred", "follow_up", "reopened", "self_service")
        }
        rating_text = row.get("rating", "").strip().lower()
        if rating_text not in ("", "positive", "negative"):
            raise FieldError(
                "rating", f"{row.get('rating', '').strip()!r} is not positive, negative or empty"
            )
        rating = None if not rating_text else rating_text == "positive"
        rated_at = _after(row, "rated_at", tz, logged_at, "logged_at")
        if resolved_at is None:
            for name in ("self_service", "reopened"):
                if flags[name]:
                    raise FieldError(name, "is true but the ticket has no resolved_at")
            if rating is not None:
                raise FieldError(
                    "rating", "given for a ticket with no resolved_at (only resolved ones are rated)"
                )
        elif rated_at is not None and rated_at < resolved_at:
            raise FieldError("rated_at", "is before resolved_at")
        if rated_at is not None and rating is None:
            raise FieldError("rated_at", "is given but rating is empty")
        if first_response is not None and resolved_at is not None and first_response > resolved_at:
            raise FieldError("first_response_at", "is after resolved_at")
        if flags["self_service"] and (flags["escalated"] or flags["transferred"]):
            raise FieldError("self_service", "is true for a ticket that was passed to another team")
        if flags["escalated"]:
            # Escalated means it ended in a higher support line than the desk's first: a queue on the first
            # line cannot have been escalated to.
            target = queue or rules.second_line_queue
            if rules.queues[target] <= rules.queues[rules.default_queue]:
                raise FieldError(
                    "queue", f"{target!r} is a 1st-line queue, but the row says the ticket was escalated"
                )
        return PastTicket(
            ref=ref,
            desk=desk,
            logged_at=logged_at,
            text=text,
            requester=_name(row, "requester", "import-requester", _NAME, "a user id"),
            source=_name(
                row, "source", "import", _SOURCE, "a channel name (lower-case letters, digits, - _)"
            ),
            intent=intent,
            queue=queue,
            first_response_at=first_response,
            resolved_at=resolved_at,
            resolver=_name(row, "resolver", "import-agent", _NAME, "a user id"),
            rating=rating,
            rated_at=rated_at if rated_at is not None or rating is None else resolved_at,
            **flags,
        )

    return parse


def parse(
    content: str, name: str, desks: Mapping[str, DeskRules], tz: ZoneInfo, now: datetime | None = None
) -> Parsed[PastTicket]:
    # A large council's year is a million rows, each a handful of objects that all live until the import
    # ends: the cyclic garbage collector would walk the growing heap again and again while finding nothing
    # (a record holds no cycles), so it pauses for the parse and resumes after, whatever happens.
    paused = gc.isenabled()
    gc.disable()
    try:
        parsed = csvfile.parse_csv(
            content, name=name, required=REQUIRED, optional=OPTIONAL, record=record(desks, tz, now)
        )
    finally:
        if paused:
            gc.enable()
    csvfile.reject_repeats(parsed, lambda past: past.ref, "ref", lambda past: repr(past.ref))
    return parsed
