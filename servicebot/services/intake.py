"""Intake: a query becomes a triaged ticket, once per source message however often it is delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intents.catalogue import Catalogue, Intent, SelfHelp
from servicebot.config import Settings
from servicebot.domain.clock import Clock, utc_now
from servicebot.domain.errors import InvalidInput
from servicebot.domain.tickets import SYSTEM_ACTOR, Ticket, TriageDecision
from servicebot.domain.triage import Triage
from servicebot.services.actors import Actor
from servicebot.storage import sources
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.db import Database
from servicebot.storage.facts import FactsProjection
from servicebot.triage.engine import TriageEngine
from servicebot.triage.gate import IntakeGate, Screening
from servicebot.triage.text import MAX_TICKET_TEXT, clean_for_ticket, has_words


class _SourceTaken(Exception):
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


class IntakeService:
    def __init__(
        self,
        db: Database,
        triage: TriageEngine,
        catalogue: Catalogue,
        settings: Settings,
        gate: IntakeGate,
        clock: Clock = utc_now,
    ) -> None:
        self.gate = gate
        self.db = db
        self.facts = FactsProjection(settings.calendar())
        self.engine = triage
        self.catalogue = catalogue
        self.settings = settings
        self.clock = clock

    def screen(self, text: str, desk: str | None = None) -> Screening:
        """Request, small talk or unsure (`triage.gate`); reads nothing and writes nothing."""
        if desk is not None:
            self.settings.desk(desk)

        def triage_is_sure(query: str) -> bool:
            return not self.engine.classify(clean_for_ticket(query), desk).out_of_scope

        return self.gate.screen(text, triage_is_sure)

    def reply_to(self, screening: Screening) -> str:
        """What to say to small talk (the desk lead's words from small_talk.yaml), or the unsure question."""
        if screening.kind is None:
            return self.gate.small_talk.unsure_reply
        return self.gate.reply(screening.kind)

    def log_query(self, text: str, requester: Actor, source: Source, desk: str | None = None) -> Intake:
        if not has_words(text):
            raise InvalidInput(
                "I need a few words about the problem to log a ticket, e.g. "
                "'my laptop will not connect to the VPN'."
            )
        if desk is not None:
            self.settings.desk(desk)
        cleaned = clean_for_ticket(text)
        truncated = len(text.strip()) > MAX_TICKET_TEXT
        triage = self.engine.classify(cleaned, desk)
        desk_config = self.settings.desk(desk or triage.desk)
        # The engine applied the desk's confidence threshold: below it, the answer is "out of scope".
        needs_pick = triage.out_of_scope
        intent = None if needs_pick or triage.intent is None else self.catalogue.get(triage.intent)
        now = self.clock()
        try:
            return self._open_ticket(
                cleaned, requester, source, desk_config.id, triage, intent, needs_pick, now, truncated
            )
        except _SourceTaken:
            # Another delivery of the same message won the race; its ticket is the answer.
            with self.db.read() as session:
                found = sources.ticket_for_source(session, source.key or "")
                ticket = ticket_rows.load_ticket(session, found) if found is not None else None
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
                existing = sources.ticket_for_source(session, source.key)
                if existing is not None:
                    ticket = ticket_rows.load_ticket(session, existing)
                    assert ticket is not None
                    return _already_logged(ticket, triage)
            ticket_id = ticket_rows.new_ticket_id(
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
            ticket_rows.save_ticket(session, ticket, self.facts)
            if source.key is not None and not sources.link_source(session, source.key, ticket_id):
                raise _SourceTaken  # rolls the whole ticket back
        return Intake(
            ticket=ticket.snapshot(),
            triage=triage,
            created=True,
            needs_pick=needs_pick,
            self_help=intent.self_help if intent else None,
            truncated=truncated,
        )


def _already_logged(ticket: Ticket, triage: Triage) -> Intake:
    """The answer for a source message that already has a ticket: that ticket, with nothing to ask."""
    return Intake(ticket=ticket, triage=triage, created=False, needs_pick=False, self_help=None)
