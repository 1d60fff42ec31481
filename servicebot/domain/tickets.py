"""The ticket aggregate: its state is a fold of append-only events; commands validate, then emit events.

Facts, not conclusions: escalations, transfers, follow-ups and reopenings are recorded as they happen,
so first-contact resolution and time to fix are derived later and can be re-derived under new rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from servicebot.domain.errors import UserError
from servicebot.domain.ids import is_row_id
from servicebot.domain.message import Code, User

SYSTEM_ACTOR = "servicebot"
_REF = re.compile(r"^\s*(?:t|#)?\s*-?\s*0*(\d{1,12})\s*$", re.IGNORECASE)


class Status(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS})


class EventKind(StrEnum):
    CREATED = "created"
    TRIAGED = "triaged"
    INTENT_CHANGED = "intent_changed"
    SELF_HELP_OFFERED = "self_help_offered"
    SELF_HELP_DECLINED = "self_help_declined"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    COMMENTED = "commented"
    FOLLOW_UP = "follow_up"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    RATING_REQUESTED = "rating_requested"
    RATED = "rated"
    TEXT_PURGED = "text_purged"  # the retention policy removed its free text; every fact is kept


# What a purged ticket shows where its text was (the ticket's own, and each note, reason and comment).
PURGED_TEXT = "(text removed under the retention policy)"
# The keys of an event's data that hold what people wrote; the rest (desk, queue, resolution, rating,
# channel and ts, self-help titles from the catalogue) are the facts the metrics and KPIs are made of.
_FREE_TEXT_KEYS = ("text", "note", "reason")


def purged_data(data: dict[str, Any]) -> dict[str, Any] | None:
    """The event's data with its free text replaced by PURGED_TEXT, or None when there is none to remove
    (an empty note is not text)."""
    if not any(data.get(key) and data[key] != PURGED_TEXT for key in _FREE_TEXT_KEYS):
        return None
    return {k: PURGED_TEXT if k in _FREE_TEXT_KEYS and v else v for k, v in data.items()}


class Resolution(StrEnum):
    FIXED = "fixed"
    SELF_SERVICE = "self_service"


class TicketRuleError(UserError):
    """A command the ticket's current state does not allow."""


# Once any of these has happened, "Did that self-help fix it?" has been overtaken by people's work.
_SELF_HELP_CLOSED_BY = frozenset(
    {
        EventKind.ASSIGNED,
        EventKind.ESCALATED,
        EventKind.TRANSFERRED,
        EventKind.INTENT_CHANGED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.CLOSED,
    }
)


def format_ref(ticket_id: int) -> str:
    return f"T-{ticket_id:05d}"


def parse_ref(text: str) -> int:
    """Accept what people type: T-00042, t-42, #42, 42."""
    match = _REF.match(text)
    if not match or not is_row_id(int(match.group(1))):
        raise TicketRuleError(f"{text.strip()!r} is not a ticket id; ticket ids look like T-00042")
    return int(match.group(1))


@dataclass(frozen=True)
class TicketEvent:
    ticket_id: int
    seq: int
    kind: EventKind
    actor: str
    at: datetime
    from_value: str | None = None
    to_value: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def said(self) -> list[tuple[str, str]]:
        """What people wrote on this event, labelled (a note, a reason, a comment), for any history view.
        The created event's text is the ticket's own; the rest of `data` is figures, not words."""
        said = [(label, str(self.data[key])) for key, label in _SAID if self.data.get(key)]
        if self.kind is EventKind.COMMENTED and self.data.get("text"):
            said.append(("comment", str(self.data["text"])))
        return said


_SAID = (("note", "note"), ("reason", "reason"), ("resolution", "resolution"), ("title", "self-help"))


@dataclass(frozen=True)
class TriageDecision:
    """What triage concluded for one ticket (intent None: nothing fitted well enough to route)."""

    intent: str | None
    queue: str
    priority: str
    confidence: float
    method: str = "auto"  # auto | picked | corrected


@dataclass
class Ticket:
    """Current state; always equal to `Ticket.replay(history)`."""

    id: int
    desk: str
    requester: str
    text: str
    source: str
    created_at: datetime
    status: Status = Status.NEW
    intent: str | None = None
    queue: str | None = None
    priority: str = "P3"
    confidence: float | None = None
    assignee: str | None = None
    resolved_at: datetime | None = None
    resolver: str | None = None
    rating: bool | None = None
    rating_requested: bool = False
    version: int = 0
    updated_at: datetime | None = None
    kinds_seen: frozenset[EventKind] = field(default=frozenset(), repr=False)
    # The source messages of its comments: a comment is recorded once per message, however often it arrives.
    comment_sources: frozenset[str] = field(default=frozenset(), repr=False)
    pending: list[TicketEvent] = field(default_factory=list, repr=False, compare=False)
    # Every event applied, oldest first: the contact facts are a fold of the whole history, and they are
    # written with each save, so the history a command worked on is kept rather than read again.
    history: list[TicketEvent] = field(default_factory=list, repr=False, compare=False)

    @property
    def ref(self) -> str:
        return format_ref(self.id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        ticket_id: int,
        *,
        desk: str,
        requester: str,
        text: str,
        source: str,
        queue: str,
        at: datetime,
        origin: dict[str, Any] | None = None,
    ) -> Ticket:
        ticket = cls(id=ticket_id, desk=desk, requester=requester, text=text, source=source, created_at=at)
        data = {"desk": desk, "requester": requester, "text": text, "source": source, "queue": queue}
        data.update(origin or {})
        ticket._emit(EventKind.CREATED, requester, at, to_value=Status.NEW, data=data)
        return ticket

    @classmethod
    def replay(cls, events: list[TicketEvent]) -> Ticket:
        if not events or events[0].kind is not EventKind.CREATED:
            raise ValueError("a ticket's history starts with its 'created' event")
        first = events[0]
        ticket = cls(
            id=first.ticket_id,
            desk=first.data["desk"],
            requester=first.data["requester"],
            text=first.data["text"],
            source=first.data["source"],
            created_at=first.at,
        )
        for event in events:
            ticket._apply(event)
        return ticket

    # -- commands -----------------------------------------------------------------------------------
    def triage(self, decision: TriageDecision, actor: str, at: datetime) -> None:
        if self.status is not Status.NEW:
            # The triage question is closed once a ticket is routed: answering it again would unassign
            # the ticket and teach triage from a slip. Staff correct a routed ticket with Change intent.
            raise TicketRuleError(
                f"{self.ref} is already routed to {self.queue}, so its triage question is closed. "
                "Agents can change its intent with ",
                Code(f"intent {self.ref} <intent_id>"),
                " (Change intent on the card).",
            )
        self._emit(
            EventKind.TRIAGED,
            actor,
            at,
            from_value=None,
            to_value=decision.intent,
            data={
                "queue": decision.queue,
                "priority": decision.priority,
                "confidence": round(decision.confidence, 4),
                "method": decision.method,
            },
        )

    def change_intent(self, decision: TriageDecision, actor: str, at: datetime) -> None:
        """A correction. Moving queue is recorded as a transfer too: the requester was passed on."""
        if not self.is_open:
            raise TicketRuleError(f"{self.ref} is {self.status.value}; reopen it before changing its intent")
        if self.status is Status.NEW:
            self.triage(decision, actor, at)
            return
        if decision.intent == self.intent:
            raise TicketRuleError(f"{self.ref} already has intent {decision.intent}")
        old_queue = self.queue
        self._emit(
            EventKind.INTENT_CHANGED,
            actor,
            at,
            from_value=self.intent,
            to_value=decision.intent,
            data={"priority": decision.priority, "confidence": round(decision.confidence, 4)},
        )
        if decision.queue != old_queue:
            self._emit(EventKind.TRANSFERRED, actor, at, from_value=old_queue, to_value=decision.queue)

    def offer_self_help(self, title: str, at: datetime) -> None:
        self._require_open("offer self-help on")
        self._emit(EventKind.SELF_HELP_OFFERED, SYSTEM_ACTOR, at, data={"title": title})

    def self_help_result(self, actor: str, fixed: bool, at: datetime) -> None:
        """The requester's answer to "Did that fix it?", while that question is open. Once it is answered,
        or a person has taken the ticket on, a late "fixed" would record an agent's work as self-service
        and count as first-contact resolution."""
        if EventKind.SELF_HELP_OFFERED not in self.kinds_seen:
            raise TicketRuleError(f"{self.ref} was not offered self-help")
        if EventKind.SELF_HELP_DECLINED in self.kinds_seen:
            raise TicketRuleError(f"{self.ref}'s self-help was already answered: it did not fix it")
        if self.kinds_seen & _SELF_HELP_CLOSED_BY or self.status is not Status.TRIAGED:
            status = self.status.value.replace("_", " ")
            raise TicketRuleError(f"{self.ref}'s self-help question is closed: the ticket is {status} now")
        if fixed:
            self.resolve(
                actor, at, resolution=Resolution.SELF_SERVICE, note="Fixed with the self-help answer"
            )
        else:
            self._require_open("ask for more help on")
            self._emit(EventKind.SELF_HELP_DECLINED, actor, at)

    def assign(self, assignee: str, actor: str, at: datetime) -> None:
        self._require_open("assign")
        if self.assignee == assignee and self.status is Status.IN_PROGRESS:
            raise TicketRuleError(f"{self.ref} is already assigned to ", User(assignee))
        self._emit(EventKind.ASSIGNED, actor, at, from_value=self.assignee, to_value=assignee)

    def escalate(self, to_queue: str, actor: str, at: datetime, note: str = "") -> None:
        self._require_open("escalate")
        if to_queue == self.queue:
            raise TicketRuleError(f"{self.ref} is already in {to_queue}")
        self._emit(
            EventKind.ESCALATED, actor, at, from_value=self.queue, to_value=to_queue, data={"note": note}
        )

    def transfer(self, to_queue: str, actor: str, at: datetime, note: str = "") -> None:
        self._require_open("transfer")
        if to_queue == self.queue:
            raise TicketRuleError(f"{self.ref} is already in {to_queue}")
        self._emit(
            EventKind.TRANSFERRED, actor, at, from_value=self.queue, to_value=to_queue, data={"note": note}
        )

    def move(
        self, to_queue: str, from_line: int, to_line: int, actor: str, at: datetime, note: str = ""
    ) -> EventKind:
        """Send the ticket to another queue; whether that is an escalation or a transfer is decided here,
        because the committee's escalation rate and first-contact resolution are read from it: a move to a
        higher support line (1st → 2nd) is an escalation; a move within a line, or down, is a transfer."""
        self._require_open("move")
        if to_line > from_line:
            self.escalate(to_queue, actor, at, note)
            return EventKind.ESCALATED
        self.transfer(to_queue, actor, at, note)
        return EventKind.TRANSFERRED

    def comment(self, actor: str, text: str, at: datetime, role: str, source: str | None = None) -> bool:
        """False when the comment from this `source` message is already on the ticket: a redelivered or
        retried Slack message is recorded once, like a ticket is logged once per source message."""
        if source is not None and source in self.comment_sources:
            return False
        data = {"text": text, "role": role} | ({"source": source} if source is not None else {})
        self._emit(EventKind.COMMENTED, actor, at, data=data)
        return True

    def follow_up(self, actor: str, at: datetime, note: str = "") -> None:
        self._require_open("record a follow-up on")
        self._emit(EventKind.FOLLOW_UP, actor, at, data={"note": note})

    def resolve(
        self, actor: str, at: datetime, resolution: Resolution = Resolution.FIXED, note: str = ""
    ) -> None:
        if self.status in (Status.RESOLVED, Status.CLOSED):
            raise TicketRuleError(f"{self.ref} is already {self.status.value}")
        self._emit(
            EventKind.RESOLVED,
            actor,
            at,
            from_value=self.status,
            to_value=Status.RESOLVED,
            data={"resolution": resolution.value, "note": note},
        )

    def reopen(self, actor: str, at: datetime, reason: str = "") -> None:
        if self.status not in (Status.RESOLVED, Status.CLOSED):
            raise TicketRuleError(f"{self.ref} is {self.status.value}, not resolved; nothing to reopen")
        self._emit(
            EventKind.REOPENED,
            actor,
            at,
            from_value=self.status,
            to_value=Status.IN_PROGRESS,
            data={"reason": reason},
        )

    def close(self, actor: str, at: datetime) -> None:
        if self.status is not Status.RESOLVED:
            raise TicketRuleError(f"{self.ref} is {self.status.value}; only resolved tickets can be closed")
        self._emit(EventKind.CLOSED, actor, at, from_value=self.status, to_value=Status.CLOSED)

    def request_rating(self, at: datetime) -> bool:
        """Ask once per ticket, whatever happens after (reopen and resolve again do not ask twice)."""
        if self.rating_requested or self.status is not Status.RESOLVED:
            return False
        self._emit(EventKind.RATING_REQUESTED, SYSTEM_ACTOR, at)
        return True

    def rate(self, actor: str, positive: bool, at: datetime) -> None:
        if actor != self.requester:
            raise TicketRuleError(f"only the requester can rate {self.ref}")
        if self.rating is not None:
            raise TicketRuleError(f"{self.ref} has already been rated; thank you")
        if self.resolved_at is None:
            raise TicketRuleError(f"{self.ref} is not resolved yet")
        self._emit(EventKind.RATED, actor, at, to_value="positive" if positive else "negative")

    def record_text_purged(self, at: datetime, days: int) -> None:
        """Appended when the retention policy has removed its free text (`services/retention.py`): the
        history says when and under what period, and a purged ticket is never purged twice."""
        if self.is_open:
            raise TicketRuleError(f"{self.ref} is {self.status.value}; only a closed ticket's text is purged")
        if EventKind.TEXT_PURGED in self.kinds_seen:
            raise TicketRuleError(f"{self.ref}'s text was already removed")
        self._emit(EventKind.TEXT_PURGED, SYSTEM_ACTOR, at, data={"retention_days": days})

    # -- internals ----------------------------------------------------------------------------------
    def _require_open(self, verb: str) -> None:
        if not self.is_open:
            raise TicketRuleError(f"cannot {verb} {self.ref}: it is {self.status.value}; reopen it first")

    def _emit(
        self,
        kind: EventKind,
        actor: str,
        at: datetime,
        *,
        from_value: str | None = None,
        to_value: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        if at.tzinfo is None:
            raise ValueError("event times must be time zone-aware")
        event = TicketEvent(
            ticket_id=self.id,
            seq=self.version + 1,
            kind=kind,
            actor=actor,
            at=at,
            from_value=None if from_value is None else str(from_value),
            to_value=None if to_value is None else str(to_value),
            data=data or {},
        )
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: TicketEvent) -> None:
        kind = event.kind
        if kind is EventKind.CREATED:
            self.queue = event.data.get("queue")
        elif kind is EventKind.TRIAGED:
            self.status = Status.TRIAGED
            self.intent = event.to_value
            self.queue = event.data["queue"]
            self.priority = event.data["priority"]
            self.confidence = event.data["confidence"]
        elif kind is EventKind.INTENT_CHANGED:
            self.intent = event.to_value
            self.priority = event.data.get("priority", self.priority)
            self.confidence = event.data.get("confidence", self.confidence)
        elif kind is EventKind.ASSIGNED:
            self.assignee = event.to_value
            self.status = Status.IN_PROGRESS
        elif kind in (EventKind.ESCALATED, EventKind.TRANSFERRED):
            self.queue = event.to_value
            self.assignee = None
            if self.status in OPEN_STATUSES:
                self.status = Status.TRIAGED
        elif kind is EventKind.RESOLVED:
            self.status = Status.RESOLVED
            self.resolved_at = event.at
            self.resolver = event.actor
        elif kind is EventKind.REOPENED:
            self.status = Status.IN_PROGRESS
            self.resolved_at = None
            self.resolver = None
        elif kind is EventKind.CLOSED:
            self.status = Status.CLOSED
        elif kind is EventKind.RATING_REQUESTED:
            self.rating_requested = True
        elif kind is EventKind.RATED:
            self.rating = event.to_value == "positive"
        elif kind is EventKind.TEXT_PURGED:
            self.text = PURGED_TEXT
        elif kind is EventKind.COMMENTED and event.data.get("source"):
            self.comment_sources = self.comment_sources | {event.data["source"]}
        self.version = event.seq
        self.updated_at = event.at
        self.kinds_seen = self.kinds_seen | {kind}
        self.history.append(event)

    def snapshot(self) -> Ticket:
        """A copy without pending events, e.g. to hand to a renderer."""
        return replace(self, pending=[], history=list(self.history))
