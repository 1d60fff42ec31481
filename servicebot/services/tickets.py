"""Ticket commands: what agents and requesters do to a ticket, each one transaction.

Load the aggregate, let the domain validate and emit events, append them; a concurrent writer makes the
append fail, and the command is applied again to the newer state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from intents.catalogue import Catalogue
from servicebot.config import Settings
from servicebot.domain.clock import Clock, utc_now
from servicebot.domain.errors import InvalidInput, NotFound
from servicebot.domain.message import Message, Strong, User, say
from servicebot.domain.tickets import EventKind, Ticket, TriageDecision, format_ref
from servicebot.services.actors import Actor, Permission, require
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.db import Database
from servicebot.storage.facts import FactsProjection
from servicebot.triage.learning import TrainingData
from servicebot.triage.text import MAX_TICKET_TEXT, clean_for_ticket

_RETRIES = 3


@dataclass(frozen=True)
class Outcome:
    ticket: Ticket
    message: Message
    ask_rating: bool = False  # the front end should ask the requester for a rating, once


class TicketService:
    def __init__(
        self,
        db: Database,
        catalogue: Catalogue,
        settings: Settings,
        clock: Clock = utc_now,
        training: TrainingData | None = None,
    ) -> None:
        self.db = db
        self.catalogue = catalogue
        self.settings = settings
        self.facts = FactsProjection(settings.calendar())
        self.clock = clock
        self.training = training

    def pick_intent(self, ticket_id: int, intent_id: str | None, actor: Actor) -> Outcome:
        """The answer to a low-confidence question; `None` is "Something else" (a person will route it).

        Only while that question is open: once the ticket is routed, a pick would silently unassign it and
        teach triage from a slip. Changing a routed ticket's intent is `change_intent`, for staff."""
        # (source, previous intent, who) when this answer teaches triage; filled in by `apply`.
        taught: list[tuple[str, str | None, str]] = []

        def apply(ticket: Ticket, now: datetime) -> Message:
            _follow(actor, ticket, "choose what it is about")
            ticket.triage(self._decision(ticket, intent_id, "picked"), actor.id, now)
            if intent_id is not None:
                taught.append(("pick", None, actor.id))
            return say(f"{ticket.ref} is now ", self._intent_title(ticket.intent), f" in {ticket.queue}.")

        return self._change(ticket_id, apply, teach=taught)

    def change_intent(self, ticket_id: int, intent_id: str, actor: Actor) -> Outcome:
        taught: list[tuple[str, str | None, str]] = []

        def apply(ticket: Ticket, now: datetime) -> Message:
            require(actor, Permission.CORRECT_TRIAGE, desk=ticket.desk)
            previous = ticket.intent
            ticket.change_intent(self._decision(ticket, intent_id, "corrected"), actor.id, now)
            if intent_id != previous:
                taught.append(("correction", previous, actor.id))
            return say(f"{ticket.ref} is now ", self._intent_title(ticket.intent), f" in {ticket.queue}.")

        return self._change(ticket_id, apply, teach=taught)

    def assign(self, ticket_id: int, actor: Actor, assignee: str | None = None) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            _work(actor, ticket, "assign tickets")
            ticket.assign(assignee or actor.id, actor.id, now)
            return say(f"{ticket.ref} is assigned to ", User(assignee or actor.id), ".")

        return self._change(ticket_id, apply)

    def resolve(self, ticket_id: int, actor: Actor, note: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            _work(actor, ticket, "resolve tickets")
            ticket.resolve(actor.id, now, note=note.strip()[:500])
            return say(f"{ticket.ref} is resolved by ", User(actor.id), ".")

        return self._change(ticket_id, apply, ask_rating=True)

    def escalate(self, ticket_id: int, actor: Actor, to_queue: str | None = None, note: str = "") -> Outcome:
        """To the desk's 2nd-line queue, or `to_queue`; the ticket domain says escalation or transfer."""
        return self._move(ticket_id, actor, to_queue, note, asked="escalate")

    def transfer(self, ticket_id: int, actor: Actor, to_queue: str, note: str = "") -> Outcome:
        return self._move(ticket_id, actor, to_queue, note, asked="transfer")

    def _move(self, ticket_id: int, actor: Actor, to_queue: str | None, note: str, asked: str) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            _work(actor, ticket, f"{asked} tickets")
            desk = self.settings.desk(ticket.desk)
            target = to_queue or desk.second_line_queue
            queue = desk.queue(target)
            if queue is None:
                queues = ", ".join(q.id for q in desk.queues)
                raise InvalidInput(f"{target!r} is not a queue of the {desk.title}; queues: {queues}")
            # A queue no longer in the config (renamed since the ticket moved there) counts as 1st line,
            # so leaving it for a 2nd-line queue is still an escalation.
            current = desk.queue(ticket.queue) if ticket.queue else None
            moved = ticket.move(target, current.line if current else 1, queue.line, actor.id, now, note)
            verb = "escalated" if moved is EventKind.ESCALATED else "transferred"
            return say(f"{ticket.ref} is {verb} to {queue.title}.")

        return self._change(ticket_id, apply)

    def reopen(self, ticket_id: int, actor: Actor, reason: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            _follow(actor, ticket, "reopen it")
            ticket.reopen(actor.id, now, reason.strip()[:500])
            return say(f"{ticket.ref} is reopened.")

        return self._change(ticket_id, apply)

    def self_help_result(self, ticket_id: int, actor: Actor, fixed: bool) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            _follow(actor, ticket, "answer the self-help question")
            ticket.self_help_result(actor.id, fixed, now)
            if fixed:
                return say(f"Glad that fixed it. {ticket.ref} is resolved.")
            return say(f"No problem: {ticket.ref} stays open for an agent in {ticket.queue}.")

        return self._change(ticket_id, apply, ask_rating=True)

    def follow_up(self, ticket_id: int, actor: Actor, note: str = "") -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            _work(actor, ticket, "record a callback or follow-up")
            ticket.follow_up(actor.id, now, note.strip()[:500])
            return say(f"Follow-up contact recorded on {ticket.ref}.")

        return self._change(ticket_id, apply)

    def comment(self, ticket_id: int, actor: Actor, text: str, source: str | None = None) -> Outcome:
        """`source`: the message the comment came from (a Slack message's key), so it is recorded once."""

        def apply(ticket: Ticket, now: datetime) -> Message:
            if source is None:
                # A typed `note` is for the requester and agents. A reply in the ticket's Slack thread
                # (a `source`) is recorded whoever writes it: a colleague's "same here" is part of the story.
                _follow(actor, ticket, "add a note to it")
            role = "requester" if actor.id == ticket.requester else actor.role.value
            cleaned = clean_for_ticket(text)
            if not ticket.comment(actor.id, cleaned, now, role, source):
                return say(f"Already noted on {ticket.ref}.")
            if len(text.strip()) > MAX_TICKET_TEXT:
                return say(f"Noted on {ticket.ref} (its first 4,000 characters: the rest was cut).")
            return say(f"Noted on {ticket.ref}.")

        return self._change(ticket_id, apply)

    def rate(self, ticket_id: int, actor: Actor, positive: bool) -> Outcome:
        def apply(ticket: Ticket, now: datetime) -> Message:
            ticket.rate(actor.id, positive, now)
            return say(
                "Thank you for your feedback." if positive else "Thank you; we will use this to improve."
            )

        return self._change(ticket_id, apply)

    def _decision(self, ticket: Ticket, intent_id: str | None, method: str) -> TriageDecision:
        desk = self.settings.desk(ticket.desk)
        if intent_id is None:
            return TriageDecision(None, desk.default_queue, ticket.priority, 1.0, method)
        intent = self.catalogue.get(intent_id)
        if intent is None or intent.desk != ticket.desk:
            known = ", ".join(i.id for i in self.catalogue.for_desk(ticket.desk))
            raise InvalidInput(f"{intent_id!r} is not an intent of the {desk.title}. Known intents: {known}")
        return TriageDecision(intent.id, intent.queue, intent.priority, 1.0, method)

    def _intent_title(self, intent_id: str | None) -> Message:
        intent = self.catalogue.get(intent_id) if intent_id else None
        return (
            say(Strong(intent.title))
            if intent
            else say(Strong("not yet routed"), " (an agent will pick it up)")
        )

    def _change(
        self,
        ticket_id: int,
        apply: Callable[[Ticket, datetime], Message],
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
                    ticket = ticket_rows.load_ticket(session, ticket_id)
                    if ticket is None:
                        raise NotFound(f"There is no ticket {format_ref(ticket_id)}.")
                    now = self.clock()
                    message = apply(ticket, now)
                    asked = ask_rating and ticket.request_rating(now)
                    ticket_rows.save_ticket(session, ticket, self.facts)
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
            except ticket_rows.ConcurrentUpdate:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")


def _work(actor: Actor, ticket: Ticket, verb: str) -> None:
    require(actor, Permission.WORK_TICKET, desk=ticket.desk, verb=verb)


def _follow(actor: Actor, ticket: Ticket, verb: str) -> None:
    require(
        actor,
        Permission.FOLLOW_TICKET,
        desk=ticket.desk,
        requester=ticket.requester,
        verb=verb,
        subject=ticket.ref,
    )
