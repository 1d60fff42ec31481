"""First-contact resolution, derived from a ticket's history.

A contact is resolved at first contact when it was resolved with no escalation to 2nd line, no transfer
to another queue, no callback/follow-up contact and no reopening. The denominator is contacts resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from servicebot.domain.tickets import SYSTEM_ACTOR, EventKind, Resolution, TicketEvent

BREAKS_FIRST_CONTACT = {
    EventKind.ESCALATED: "escalated",
    EventKind.TRANSFERRED: "transferred",
    EventKind.FOLLOW_UP: "follow-up contact",
    EventKind.REOPENED: "reopened",
}
_RESPONSES = frozenset(
    {
        EventKind.ASSIGNED,
        EventKind.COMMENTED,
        EventKind.ESCALATED,
        EventKind.TRANSFERRED,
        EventKind.INTENT_CHANGED,
        EventKind.RESOLVED,
    }
)


@dataclass(frozen=True)
class ContactFacts:
    resolved: bool
    first_contact: bool
    reasons: tuple[str, ...]
    logged_at: datetime
    resolved_at: datetime | None
    resolver: str | None
    first_response_at: datetime | None
    escalated: bool = False
    transferred: bool = False
    # The final resolution was the requester's own, through self-help: no one worked it, so it is not an
    # incident fixed and stays out of time to fix (it still counts in first-contact resolution).
    self_service: bool = False
    rating: bool | None = None
    rated_at: datetime | None = None

    @property
    def time_to_fix(self) -> timedelta | None:
        """Elapsed (not working-hours) time from logging to the final resolution."""
        return None if self.resolved_at is None else self.resolved_at - self.logged_at


class Outcome(NamedTuple):
    """What a history comes to, by position in it: the fold's whole result, so that a reader holding the
    history in another shape (the stored rows of `facts rebuild`) takes the instants and actors from
    its own rows without building events first."""

    reasons: tuple[str, ...]
    resolved: int | None  # the final resolution, if the ticket ends resolved
    first_response: int | None
    rated: int | None
    rating: bool | None
    self_service: bool


# A step of a history, as `fold` reads it: (kind, actor, to_value, resolution, ...), where resolution is
# a `resolved` event's data["resolution"] (None for any other kind) and anything after is the reader's own.
Step = tuple[Any, ...]
_CREATED, _RESOLVED, _REOPENED, _RATED = (
    EventKind.CREATED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.RATED,
)
_SELF_SERVICE = Resolution.SELF_SERVICE.value
_NOT_RESPONDERS = SYSTEM_ACTOR


def fold(steps: Sequence[Step]) -> Outcome:
    """First-contact resolution, by definition: the one fold every figure comes from, over a history's
    steps in order. Kinds may be `EventKind`s or their stored strings (they compare equal)."""
    if not steps or steps[0][0] != _CREATED:
        raise ValueError("a ticket's history starts with its 'created' event")
    requester = steps[0][1]
    reasons: list[str] = []
    resolved: int | None = None
    first_response: int | None = None
    rated: int | None = None
    rating: bool | None = None
    self_service = False
    breaks, responses = BREAKS_FIRST_CONTACT, _RESPONSES
    for position, step in enumerate(steps):
        kind = step[0]
        reason = breaks.get(kind)
        if reason is not None and reason not in reasons:
            reasons.append(reason)
        if kind == _RESOLVED:
            resolved = position
            self_service = step[3] == _SELF_SERVICE
        elif kind == _REOPENED:
            resolved, self_service = None, False
        elif kind == _RATED:
            rating, rated = step[2] == "positive", position
        if first_response is None and kind in responses:
            actor = step[1]
            if actor != requester and actor != _NOT_RESPONDERS:
                first_response = position
    return Outcome(
        tuple(reasons), resolved, first_response, rated, rating, resolved is not None and self_service
    )


def steps_of(events: Sequence[TicketEvent]) -> list[Step]:
    return [
        (e.kind, e.actor, e.to_value, e.data.get("resolution") if e.kind is EventKind.RESOLVED else None)
        for e in events
    ]


def contact_facts(events: Sequence[TicketEvent]) -> ContactFacts:
    return facts_of(fold(steps_of(events)), lambda i: events[i].at, lambda i: events[i].actor)


def facts_of(outcome: Outcome, at: Callable[[int], datetime], actor: Callable[[int], str]) -> ContactFacts:
    """The facts of an outcome, given the instant and the actor of a step of its history by position
    (asked only for the steps the outcome names)."""
    resolved, reasons, first_response, rated = (
        outcome.resolved,
        outcome.reasons,
        outcome.first_response,
        outcome.rated,
    )
    return ContactFacts(
        resolved=resolved is not None,
        first_contact=resolved is not None and not reasons,
        reasons=reasons,
        logged_at=at(0),
        resolved_at=None if resolved is None else at(resolved),
        resolver=None if resolved is None else actor(resolved),
        first_response_at=None if first_response is None else at(first_response),
        escalated="escalated" in reasons,
        transferred="transferred" in reasons,
        self_service=outcome.self_service,
        rating=outcome.rating,
        rated_at=None if rated is None else at(rated),
    )


@dataclass(frozen=True)
class FcrRate:
    resolved_first_contact: int
    resolved: int

    @property
    def percent(self) -> float | None:
        return None if self.resolved == 0 else 100.0 * self.resolved_first_contact / self.resolved


def fcr_rate(histories: list[list[TicketEvent]]) -> FcrRate:
    facts = [contact_facts(h) for h in histories]
    resolved = [f for f in facts if f.resolved]
    return FcrRate(resolved_first_contact=sum(f.first_contact for f in resolved), resolved=len(resolved))
