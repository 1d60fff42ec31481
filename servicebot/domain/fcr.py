"""First-contact resolution, derived from a ticket's history.

A contact is resolved at first contact when it was resolved with no escalation to 2nd line, no transfer
to another queue, no callback/follow-up contact and no reopening. The denominator is contacts resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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


def contact_facts(events: list[TicketEvent]) -> ContactFacts:
    if not events or events[0].kind is not EventKind.CREATED:
        raise ValueError("a ticket's history starts with its 'created' event")
    requester = events[0].actor
    reasons: list[str] = []
    resolved_at: datetime | None = None
    resolver: str | None = None
    first_response_at: datetime | None = None
    self_service = False
    rating: bool | None = None
    rated_at: datetime | None = None
    for event in events:
        reason = BREAKS_FIRST_CONTACT.get(event.kind)
        if reason and reason not in reasons:
            reasons.append(reason)
        if event.kind is EventKind.RESOLVED:
            resolved_at, resolver = event.at, event.actor
            self_service = event.data.get("resolution") == Resolution.SELF_SERVICE.value
        elif event.kind is EventKind.REOPENED:
            resolved_at, resolver, self_service = None, None, False
        elif event.kind is EventKind.RATED:
            rating, rated_at = event.to_value == "positive", event.at
        if (
            first_response_at is None
            and event.kind in _RESPONSES
            and event.actor not in (requester, SYSTEM_ACTOR)
        ):
            first_response_at = event.at
    resolved = resolved_at is not None
    return ContactFacts(
        resolved=resolved,
        first_contact=resolved and not reasons,
        reasons=tuple(reasons),
        logged_at=events[0].at,
        resolved_at=resolved_at,
        resolver=resolver,
        first_response_at=first_response_at,
        escalated="escalated" in reasons,
        transferred="transferred" in reasons,
        self_service=resolved and self_service,
        rating=rating,
        rated_at=rated_at,
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
