"""Ticket services: intake (query → triage → ticket) and the commands agents and requesters use on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from intents.catalogue import Catalogue, Intent, SelfHelp
from servicebot.config import Settings
from servicebot.domain.tickets import (
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    Status,
    Ticket,
    TicketEvent,
    TicketRuleError,
    TriageDecision,
    format_ref,
)
from servicebot.domain.triage import Triage
from servicebot.services.actors import Actor, require_requester_or_staff, require_staff
from servicebot.storage import repository as repo
from servicebot.storage.db import Database
from servicebot.triage.engine import TriageEngine
from servicebot.triage.learning import TrainingData
from servicebot.triage.text import MAX_TICKET_TEXT, clean_for_ticket, has_words

Clock = Callable[[], datetime]
_RETRIES = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


class _SourceTaken(Exception):
    pass


class InvalidInput(Exception):
    """Input that cannot become a ticket or command; the message says what was wrong."""


class TicketNotFound(Exception):
    pass


@dataclass(frozen=True)
class Source:
    """Where a query came from. `key` identifies the source message so it makes at most one ticket."""

    kind: str  # message | dm | mention | command | shortcut | reaction | console
    key: str | None = None
    channel: str | None = None
    ts: str | None = None
    logged_by: str | None = None


@dataclass(frozen=True)
class Intake:
    ticket: Ticket
    triage: Triage
    created: bool  # False: this source message already had a ticket, which is returned
    needs_pick: bool  # triage was not confident: ask the requester or an agent to choose
    self_help: SelfHelp | None
    truncated: bool = False


@dataclass(frozen=True)
class Outcome:
    ticket: Ticket
    message: str
    ask_rating: bool = False  # the front end should ask the requester for a rating, once


class TicketService:
    def __init__(
        self,
        db: Database,
        triage: TriageEngine,
        catalogue: Catalogue,
        settings: Settings,
        clock: Clock = utc_now,
        training: TrainingData | None = None,
    ) -> None:
        self.db = db
        self.engine = triage
        self.catalogue = catalogue
        self.settings = settings
        self.clock = clock
        self.training = training

    # -- intake ---------------------------------------------------------------------------------------
    def log_query(self, text: str, requester: Actor, source: Source, desk: str | None = None) -> Intake:
        if not has_words(text):
            raise InvalidInput(
                "I need a few words about the problem to log a ticket, e.g. "
                "'my laptop will not connect to the VPN'."
            )
        if desk is not None and desk not in self.settings.desks:
            raise InvalidInput(f"Unknown desk {desk!r}; choose one of: {', '.join(self.settings.desks)}.")
        cleaned = clean_for_ticket(text)
        truncated = len(text.strip()) > MAX_TICKET_TEXT
        triage = self.engine.classify(cleaned, desk)
        desk_config = self.settings.desk(desk or triage.desk)
        needs_pick = triage.out_of_scope or triage.confidence < desk_config.confidence_threshold
        intent = None if needs_pick or triage.intent is None else self.catalogue.get(triage.intent)
        now = self.clock()
        try:
            return self._open_ticket(
                cleaned, requester, source, desk_config.id, triage, intent, needs_pick, now, truncated
            )
        except _SourceTaken:
            # Another delivery of the same message won the race; its ticket is the answer.
            with self.db.read() as session:
                found = repo.ticket_for_source(session, source.key or "")
                ticket = repo.load_ticket(session, found) if found is not None else None
            if ticket is None:
                raise RuntimeError(f"source {source.key} lost its ticket") from None
            return _already_logged(ticket, triage)

    def _open_ticket(
        self,
        cleaned: str,
        requester: Actor,
        source: Source,
        desk: str,
        triage: Triage,
        intent: Intent | None,
        needs_pick: bool,
        now: datetime,
        truncated: bool,
    ) -> Intake:
        with self.db.transaction() as session:
            if source.key is not None:
                existing = repo.ticket_for_source(session, source.key)
                if existing is not None:
                    ticket = repo.load_ticket(session, existing)
                    assert ticket is not None
                    return _already_logged(ticket, triage)
            ticket_id = repo.new_ticket_id(
                session, desk=desk, requester=requester.id, text=cleaned, source=source.kind, at=now
            )
            origin = {
                "channel": source.channel,
                "ts": source.ts,
                "logged_by": source.logged_by or requester.id,
            }
            ticket = Ticket.open(
                ticket_id,
                desk=desk,
                requester=requester.id,
                text=cleaned,
                source=source.kind,
                queue=self.settings.desk(desk).default_queue,
                at=now,
                origin={k: v for k, v in origin.items() if v is not None},
            )
            if intent is not None:
                ticket.triage(
                    TriageDecision(intent.id, intent.queue, intent.priority, triage.confidence, "auto"),
                    SYSTEM_ACTOR,
                    now,
                )
                if intent.self_help is not None:
                    ticket.offer_self_help(intent.self_help.title, now)
            repo.save_ticket(session, ticket)
            if source.key is not None and not repo.link_source(session, source.key, ticket_id):
                raise _SourceTaken  # rolls the whole ticket back
        return Intake(
            ticket=ticket.snapshot(),
            triage=triage,
            created=True,
            needs_pick=needs_pick,
            self_help=intent.self_help if intent else None,
            truncated=truncated,
        )

    # -- commands ---------------------------------------------------------------------------------------
    def pick_intent(self, ticket_id: int, intent_id: str | None, actor: Actor) -> Outcome:
        """The answer to a low-confidence question; `None` is "Something else" (a person will route it)."""
        # (source, previous intent, who) when this answer teaches triage; filled in by `apply`.
        taught: list[tuple[str, str | None, str]] = []

        def apply(ticket: Ticket, now: datetime) -> str:
            require_requester_or_staff(actor, ticket, "choose what this is about")
            picking = ticket.status is Status.NEW
            decision = self._decision(ticket, intent_id, "picked" if picking else "corrected")
            previous = ticket.intent
            if picking:
                ticket.triage(decision, actor.id, now)
            else:
                require_staff(actor, "change a triaged ticket's intent")
                ticket.change_intent(decision, actor.id, now)
            if intent_id is not None and intent_id != previous:
                taught.append(("pick" if picking else "correction", previous, actor.id))
            return f"{ticket.ref} is now {self._intent_title(ticket.intent)} in {ticket.queue}."

        return self._change(ticket_id, apply, teach=taught)

    def change_intent(self, ticket_id: int, intent_id: str, actor: Actor) -> Outcome:
        taught: list[tuple[str, str | None, str]] = []

        def apply(ticket: Ticket, now: datetime) -> str:
            require_staff(actor, "change a ticket's intent")
            previous = ticket.intent
            ticket.change_intent(self._decision(ticket, intent_id, "corrected"), actor.id, now)
            if intent_id != previous:
                taught.append(("correction", previous, actor.id))
            return f"{ticket.ref} is now {self._intent_title(ticket.intent)} in {ticket.queue}."

        return self._change(ticket_id, apply, teach=taught)

    def assign(self, ticket_id: int, actor: Actor, assignee: str | None = None) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            require_staff(actor, "assign tickets")
            ticket.assign(assignee or actor.id, actor.id, now)
            return f"{ticket.ref} is assigned to <@{ticket.assignee}>."

        return self._change(ticket_id, apply)

    def resolve(self, ticket_id: int, actor: Actor, note: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            require_staff(actor, "resolve tickets")
            ticket.resolve(actor.id, now, note=note.strip()[:500])
            return f"{ticket.ref} is resolved by <@{actor.id}>."

        return self._change(ticket_id, apply, ask_rating=True)

    def escalate(self, ticket_id: int, actor: Actor, to_queue: str | None = None, note: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            require_staff(actor, "escalate tickets")
            desk = self.settings.desk(ticket.desk)
            target = to_queue or desk.second_line_queue
            queue = desk.queue(target)
            if queue is None:
                queues = ", ".join(q.id for q in desk.queues)
                raise InvalidInput(f"{target!r} is not a queue of the {desk.title}; queues: {queues}")
            # Only a move to a 2nd-line queue is an escalation; a move between 1st-line queues is a transfer.
            if queue.line == 2:
                ticket.escalate(target, actor.id, now, note)
                return f"{ticket.ref} is escalated to {queue.title}."
            ticket.transfer(target, actor.id, now, note)
            return f"{ticket.ref} is transferred to {queue.title}."

        return self._change(ticket_id, apply)

    def reopen(self, ticket_id: int, actor: Actor, reason: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            require_requester_or_staff(actor, ticket, "reopen it")
            ticket.reopen(actor.id, now, reason.strip()[:500])
            return f"{ticket.ref} is reopened."

        return self._change(ticket_id, apply)

    def self_help_result(self, ticket_id: int, actor: Actor, fixed: bool) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            require_requester_or_staff(actor, ticket, "answer the self-help question")
            ticket.self_help_result(actor.id, fixed, now)
            if fixed:
                return f"Glad that fixed it. {ticket.ref} is resolved."
            return f"No problem: {ticket.ref} stays open for an agent in {ticket.queue}."

        return self._change(ticket_id, apply, ask_rating=True)

    def follow_up(self, ticket_id: int, actor: Actor, note: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            require_staff(actor, "record a callback or follow-up")
            ticket.follow_up(actor.id, now, note.strip()[:500])
            return f"Follow-up contact recorded on {ticket.ref}."

        return self._change(ticket_id, apply)

    def comment(self, ticket_id: int, actor: Actor, text: str) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            role = "requester" if actor.id == ticket.requester else actor.role.value
            ticket.comment(actor.id, clean_for_ticket(text), now, role)
            return f"Noted on {ticket.ref}."

        return self._change(ticket_id, apply)

    def rate(self, ticket_id: int, actor: Actor, positive: bool) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> str:
            ticket.rate(actor.id, positive, now)
            return "Thank you for your feedback." if positive else "Thank you; we will use this to improve."

        return self._change(ticket_id, apply)

    # -- queries ---------------------------------------------------------------------------------------
    def get(self, ticket_id: int) -> Ticket:
        with self.db.read() as session:
            ticket = repo.load_ticket(session, ticket_id)
        if ticket is None:
            raise TicketNotFound(f"There is no ticket {format_ref(ticket_id)}.")
        return ticket

    def history(self, ticket_id: int) -> list[TicketEvent]:
        with self.db.read() as session:
            events = repo.history(session, ticket_id)
        if not events:
            raise TicketNotFound(f"There is no ticket {format_ref(ticket_id)}.")
        return events

    def mine(self, actor: Actor, limit: int = 20) -> list[Ticket]:
        """Agents: open tickets assigned to them. Requesters: tickets they raised."""
        with self.db.read() as session:
            if actor.is_staff:
                where = repo.TicketFilter(
                    statuses=(Status.TRIAGED, Status.IN_PROGRESS), assignee=actor.id, limit=limit
                )
            else:
                where = repo.TicketFilter(requester=actor.id, limit=limit)
            return repo.list_tickets(session, where)

    def search(self, where: repo.TicketFilter) -> list[Ticket]:
        with self.db.read() as session:
            return repo.list_tickets(session, where)

    def queue_status(self, desk: str | None = None) -> list[tuple[str, str, int]]:
        """Open work: how many tickets wait in each queue, by status."""
        with self.db.read() as session:
            return repo.count_by_queue_and_status(session, desk, tuple(OPEN_STATUSES))

    # -- messages the front end posted for a ticket ---------------------------------------------------
    def record_messages(self, ticket_id: int, messages: list[tuple[str, str, str]]) -> None:
        """(channel, ts, purpose) of messages posted for the ticket, in one transaction."""
        with self.db.transaction() as session:
            for channel, ts, purpose in messages:
                repo.add_ticket_message(session, ticket_id, channel, ts, purpose)

    def messages_of(self, ticket_id: int) -> list[tuple[str, str, str]]:
        with self.db.read() as session:
            return repo.ticket_messages_of(session, ticket_id)

    def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None:
        with self.db.read() as session:
            found = repo.ticket_for_message(session, channel, thread_ts)
            if found is None:
                found = repo.ticket_for_source(session, slack_source_key(channel, thread_ts))
            return found

    # -- internals -------------------------------------------------------------------------------------
    def _decision(self, ticket: Ticket, intent_id: str | None, method: str) -> TriageDecision:
        desk = self.settings.desk(ticket.desk)
        if intent_id is None:
            return TriageDecision(None, desk.default_queue, ticket.priority, 1.0, method)
        intent = self.catalogue.get(intent_id)
        if intent is None or intent.desk != ticket.desk:
            known = ", ".join(i.id for i in self.catalogue.for_desk(ticket.desk))
            raise InvalidInput(f"{intent_id!r} is not an intent of the {desk.title}. Known intents: {known}")
        return TriageDecision(intent.id, intent.queue, intent.priority, 1.0, method)

    def _intent_title(self, intent_id: str | None) -> str:
        intent = self.catalogue.get(intent_id) if intent_id else None
        return f"*{intent.title}*" if intent else "*not yet routed* (an agent will pick it up)"

    def _change(
        self,
        ticket_id: int,
        apply: Callable[[Ticket, datetime], str],
        ask_rating: bool = False,
        teach: list[tuple[str, str | None, str]] | None = None,
    ) -> Outcome:
        """Load, apply, append; a concurrent writer makes the append fail, so reload and apply again.

        When `apply` put a (source, previous intent, who) in `teach`, the ticket's text and its new intent are
        stored as a labelled example in the same transaction, so triage learns exactly what was decided.
        """
        for attempt in range(_RETRIES):
            if teach is not None:
                teach.clear()
            try:
                with self.db.transaction() as session:
                    ticket = repo.load_ticket(session, ticket_id)
                    if ticket is None:
                        raise TicketNotFound(f"There is no ticket {format_ref(ticket_id)}.")
                    now = self.clock()
                    message = apply(ticket, now)
                    asked = ask_rating and ticket.request_rating(now)
                    repo.save_ticket(session, ticket)
                    if teach and self.training is not None and ticket.intent is not None:
                        source, previous, actor = teach[0]
                        self.training.record(
                            session,
                            ticket_id=ticket.id,
                            text=ticket.text,
                            desk=ticket.desk,
                            label=ticket.intent,
                            previous=previous,
                            actor=actor,
                            source=source,
                            at=now,
                        )
                outcome = Outcome(ticket=ticket.snapshot(), message=message, ask_rating=asked)
                if teach and self.training is not None:
                    self.training.changed()
                return outcome
            except repo.ConcurrentUpdate:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")


def _already_logged(ticket: Ticket, triage: Triage) -> Intake:
    """The answer for a source message that already has a ticket: that ticket, with nothing to ask."""
    return Intake(ticket=ticket, triage=triage, created=False, needs_pick=False, self_help=None)


def slack_source_key(channel: str, ts: str) -> str:
    return f"slack:{channel}:{ts}"


__all__ = [
    "Intake",
    "InvalidInput",
    "Outcome",
    "Source",
    "TicketNotFound",
    "TicketRuleError",
    "TicketService",
]
