"""A conversation turn, the same in Slack and in the console: a command runs against the services and
becomes a reply model; anything a person got wrong becomes a reply that says what (the one place a
`UserError` is caught for chat front ends)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from servicebot.chat.alerts import AlertCommand, AlertUsage, run_alert
from servicebot.chat.alerts import usage as alert_usage
from servicebot.chat.commands import (
    HELP,
    STATS_FORM,
    TICKET_COMMANDS,
    AboutTicket,
    Command,
    CommandUsage,
    NewQuery,
    OutageCommand,
    SimpleCommand,
    StatsCommand,
    TicketCommand,
    parse,
    usage,
)
from servicebot.chat.replies import (
    ConfirmReply,
    IntakeReply,
    Reply,
    ServiceOut,
    SmallTalkReply,
    StatsReply,
    StatusReply,
    TextReply,
    TicketListReply,
    TicketReply,
)
from servicebot.config import Settings
from servicebot.domain.errors import InvalidInput, UserError
from servicebot.domain.message import Code, from_marked, say
from servicebot.services.actors import Actor
from servicebot.services.alerts import AlertService
from servicebot.services.intake import IntakeService, Source
from servicebot.services.outages import OutageService
from servicebot.services.queries import TicketQueries
from servicebot.services.stats import StatsService
from servicebot.services.tickets import TicketService
from servicebot.triage.gate import Verdict


class Conversation:
    def __init__(
        self,
        intake: IntakeService,
        tickets: TicketService,
        queries: TicketQueries,
        settings: Settings,
        outages: OutageService,
        alerts: AlertService,
        stats: StatsService | None = None,
    ) -> None:
        self.intake = intake
        self.tickets = tickets
        self.queries = queries
        self.settings = settings
        self.outages = outages
        self.alerts = alerts
        self.stats = stats
        # The last message each person was asked "Shall I log this?" about, so a bare `log` can answer
        # it. Memory, not the database: the Log it button carries everything; this is a typing shortcut.
        self._asked: OrderedDict[str, tuple[str, Source, str | None]] = OrderedDict()
        self._asked_lock = threading.Lock()

    def handle(self, line: str, actor: Actor, source: Source, desk: str | None = None) -> Reply:
        """Never raises for bad input: every refusal is a reply that says what was wrong."""
        return _answered(lambda: self._run(parse(line), actor, source, desk))

    def run(self, command: Command, actor: Actor, source: Source, desk: str | None = None) -> Reply:
        """A command the front end has already parsed (a button names its verb and ticket)."""
        return _answered(lambda: self._run(command, actor, source, desk))

    def _run(self, command: Command, actor: Actor, source: Source, desk: str | None) -> Reply:
        if not (isinstance(command, NewQuery) and command.explicit and not command.text.strip()):
            # Anything but a bare `log` moves on from "Shall I log this?": "no thanks", a new problem or
            # a command leave nothing for a later `log` to pick up.
            self._take_asked(actor.id)
        if isinstance(command, AboutTicket):
            ticket = self.queries.get(command.ticket_id)
            return TextReply(
                say(
                    f"That's about {ticket.ref}. To add it to the ticket, say ",
                    Code(f"note {ticket.ref} <your words>"),
                    "; to see it, ",
                    Code(f"show {ticket.ref}"),
                    ". If it is a new problem, start with ",
                    Code("new"),
                    ".",
                )
            )
        if isinstance(command, NewQuery):
            return self._new_query(command, actor, source, desk)
        if isinstance(command, CommandUsage):
            return TextReply(say(*usage(command)), ok=False)
        if isinstance(command, SimpleCommand):
            return self._simple(command, actor, desk)
        if isinstance(command, StatsCommand):
            return self._stats(command, actor, desk)
        if isinstance(command, OutageCommand):
            if command.action == "start":
                return TextReply(self.outages.start(command.service, actor, command.note).message)
            return TextReply(self.outages.end(command.service, actor).message)
        if isinstance(command, AlertCommand):
            return TextReply(run_alert(self.alerts, command, actor))
        if isinstance(command, AlertUsage):
            return TextReply(alert_usage(command.problem), ok=False)
        return self._ticket_command(command, actor)

    def _new_query(self, command: NewQuery, actor: Actor, source: Source, desk: str | None) -> Reply:
        text = command.text
        if command.explicit and not text.strip():
            asked = self._take_asked(actor.id)
            if asked is None:
                raise InvalidInput("Say what to log, e.g. ", Code("log printer on floor 2 is jammed"), ".")
            text, source, desk = asked
        screening = self.intake.screen(text, desk)
        if command.explicit and not screening.has_content:
            raise InvalidInput(
                "There is nothing to log in that: describe the problem in a few words, e.g. ",
                Code("new printer on floor 2 is jammed"),
                ".",
            )
        if screening.verdict is Verdict.SMALL_TALK and not command.explicit:
            assert screening.kind is not None
            return SmallTalkReply(screening.kind, from_marked(self.intake.reply_to(screening)))
        if screening.verdict is Verdict.UNSURE and not command.explicit:
            self._remember_asked(actor.id, text, source, desk)
            return ConfirmReply(from_marked(self.intake.reply_to(screening)), text, actor.id, source, desk)
        return IntakeReply(self.intake.log_query(text, actor, source, desk))

    def _remember_asked(self, person: str, text: str, source: Source, desk: str | None) -> None:
        with self._asked_lock:
            self._asked[person] = (text, source, desk)
            self._asked.move_to_end(person)
            while len(self._asked) > 1000:
                self._asked.popitem(last=False)

    def _take_asked(self, person: str) -> tuple[str, Source, str | None] | None:
        with self._asked_lock:
            return self._asked.pop(person, None)

    def _simple(self, command: SimpleCommand, actor: Actor, desk: str | None) -> Reply:
        if command.name == "help":
            return TextReply(HELP)
        if command.name == "mine":
            title = "Open tickets assigned to you" if actor.is_staff else "Tickets you raised"
            return TicketListReply(title, tuple(self.queries.mine(actor)))
        wanted = command.arg or desk
        if wanted:
            self.settings.desk(wanted)
        return StatusReply(wanted, tuple(self.queries.queue_status(wanted)), self._services_out())

    def _stats(self, command: StatsCommand, actor: Actor, desk: str | None) -> Reply:
        if self.stats is None:
            raise InvalidInput("Stats are not available here.")
        try:
            found = self.stats.desk_stats(actor, command.when, command.asked, command.desk or desk)
        except InvalidInput as exc:
            # An unknown desk, or days that have not begun: said with the usage, like a parse error.
            raise InvalidInput(str(exc.message).rstrip("."), ". Usage: ", Code(STATS_FORM), ".") from None
        return StatsReply(found)

    def _services_out(self) -> tuple[ServiceOut, ...]:
        titles = {service.id: service.title for service in self.settings.services}
        return tuple(
            # A service since removed from the config keeps its id as its title.
            ServiceOut(
                service=out.service,
                title=titles.get(out.service, out.service),
                since=out.started_at,
                by=out.opened_by,
                note=out.note,
                planned=out.planned,
            )
            for out in self.outages.open_outages()
        )

    def _ticket_command(self, command: TicketCommand, actor: Actor) -> Reply:
        ticket_id = command.ticket_id
        if command.verb == "show":
            events = self.queries.history(ticket_id)
            tz = self.settings.tz
            lines = tuple(
                line
                for e in events
                for line in (
                    f"{e.at.astimezone(tz):%d %b %H:%M} {e.kind.value} by {e.actor}"
                    + (f": {e.from_value or '-'} → {e.to_value}" if e.to_value is not None else ""),
                    *(f"    {label}: {words}" for label, words in e.said()),
                )
            )
            return TicketReply(self.queries.get(ticket_id), history=lines)
        run = TICKET_COMMANDS.get(command.verb)
        if run is None:
            raise InvalidInput(f"Unknown command {command.verb!r}")
        outcome = run(self.tickets, ticket_id, actor, command.arg)
        return TicketReply(outcome.ticket, outcome.message, outcome)


def _answered(work: Callable[[], Reply]) -> Reply:
    """The one place a chat front end's `UserError` becomes a reply."""
    try:
        return work()
    except UserError as exc:
        return TextReply(exc.message, ok=False)


__all__ = ["Conversation"]
