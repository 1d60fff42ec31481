"""What someone types, understood the same way in Slack and in the console.

`parse` turns a line into a command; `Conversation.handle` runs it against the services and returns a
reply model that each front end renders its own way (Block Kit, plain text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from servicebot.domain.tickets import Ticket, TicketRuleError, parse_ref
from servicebot.services.actors import Actor, PermissionDenied
from servicebot.services.tickets import Intake, InvalidInput, Outcome, Source, TicketNotFound, TicketService

_REF_TOKEN = re.compile(r"^(?:t-?|#)?\d{1,12}$", re.IGNORECASE)
_LOOKS_LIKE_REF = re.compile(r"^t-", re.IGNORECASE)
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")

TICKET_VERBS = {
    "show": "show",
    "history": "show",
    "assign": "assign",
    "take": "assign",
    "resolve": "resolve",
    "close": "resolve",
    "escalate": "escalate",
    "transfer": "transfer",
    "reopen": "reopen",
    "intent": "intent",
    "pick": "pick",
    "fixed": "fixed",
    "notfixed": "notfixed",
    "followup": "followup",
    "callback": "followup",
    "rate": "rate",
    "note": "note",
}

HELP = """*ServiceBot* logs and routes your request. Just describe the problem,
e.g. _"outlook keeps asking for my password"_. Commands:
• `status [desk]`: open tickets by queue
• `mine`: your tickets (agents: assigned to you; everyone else: raised by you)
• `show T-00042`: a ticket and its history
• `assign T-00042 [@someone]`, `resolve T-00042 [note]`
• `escalate T-00042 [queue]`, `transfer T-00042 <queue>`
• `reopen T-00042 [reason]`, `intent T-00042 <intent_id>`, `callback T-00042 [note]`, `note T-00042 <text>`
• `pick T-00042 <intent_id|none>`, `fixed T-00042` / `notfixed T-00042` (self-help), `rate T-00042 up|down`
• `help`: this message"""


@dataclass(frozen=True)
class NewQuery:
    text: str


@dataclass(frozen=True)
class SimpleCommand:
    name: Literal["help", "status", "mine"]
    arg: str = ""


@dataclass(frozen=True)
class TicketCommand:
    verb: str
    ticket_id: int
    arg: str = ""


Command = NewQuery | SimpleCommand | TicketCommand


def parse(line: str) -> Command:
    """A command only when it is unmistakably one; anything else is a new query to triage."""
    text = line.strip()
    words = text.split(maxsplit=2)
    if not words:
        return NewQuery(text)
    head = words[0].lower().lstrip("/")
    if head in ("help", "?") and len(words) == 1:
        return SimpleCommand("help")
    if head == "status" and len(words) <= 2:
        return SimpleCommand("status", words[1].lower() if len(words) == 2 else "")
    if head == "mine" and len(words) == 1:
        return SimpleCommand("mine")
    if head == "new":
        return NewQuery(text[len(words[0]) :].strip())
    if head in TICKET_VERBS and len(words) >= 2:
        token = words[1]
        if _REF_TOKEN.match(token) or _LOOKS_LIKE_REF.match(token):
            return TicketCommand(
                TICKET_VERBS[head], parse_ref(token), words[2].strip() if len(words) > 2 else ""
            )
    return NewQuery(text)


# -- replies -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextReply:
    text: str
    ok: bool = True


@dataclass(frozen=True)
class IntakeReply:
    intake: Intake


@dataclass(frozen=True)
class TicketReply:
    ticket: Ticket
    message: str = ""
    outcome: Outcome | None = None
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketListReply:
    title: str
    tickets: tuple[Ticket, ...]


@dataclass(frozen=True)
class StatusReply:
    desk: str | None
    rows: tuple[tuple[str, str, int], ...] = field(default=())


Reply = TextReply | IntakeReply | TicketReply | TicketListReply | StatusReply


class Conversation:
    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets

    def handle(self, line: str, actor: Actor, source: Source, desk: str | None = None) -> Reply:
        """Never raises for bad input: every refusal is a reply that says what was wrong."""
        try:
            command = parse(line)
            if isinstance(command, NewQuery):
                return IntakeReply(self.tickets.log_query(command.text, actor, source, desk))
            if isinstance(command, SimpleCommand):
                return self._simple(command, actor, desk)
            return self._ticket_command(command, actor)
        except (InvalidInput, TicketRuleError, TicketNotFound, PermissionDenied) as exc:
            return TextReply(str(exc), ok=False)

    def _simple(self, command: SimpleCommand, actor: Actor, desk: str | None) -> Reply:
        if command.name == "help":
            return TextReply(HELP)
        if command.name == "mine":
            title = "Open tickets assigned to you" if actor.is_staff else "Tickets you raised"
            return TicketListReply(title, tuple(self.tickets.mine(actor)))
        wanted = command.arg or desk
        if wanted and wanted not in self.tickets.settings.desks:
            raise InvalidInput(
                f"Unknown desk {wanted!r}; choose one of: {', '.join(self.tickets.settings.desks)}."
            )
        return StatusReply(wanted, tuple(self.tickets.queue_status(wanted)))

    def _ticket_command(self, command: TicketCommand, actor: Actor) -> Reply:
        tickets, tid, arg = self.tickets, command.ticket_id, command.arg
        verb = command.verb
        if verb == "show":
            events = tickets.history(tid)
            tz = tickets.settings.tz
            lines = tuple(
                f"{e.at.astimezone(tz):%d %b %H:%M} {e.kind.value} by {e.actor}"
                + (f": {e.from_value or '-'} → {e.to_value}" if e.to_value is not None else "")
                for e in events
            )
            return TicketReply(tickets.get(tid), history=lines)
        outcome: Outcome
        if verb == "assign":
            mention = _MENTION.match(arg)
            if arg and not mention:
                raise InvalidInput("Assign to someone with an @mention, e.g. `assign T-00042 @sam`.")
            outcome = tickets.assign(tid, actor, mention.group(1) if mention else None)
        elif verb == "resolve":
            outcome = tickets.resolve(tid, actor, arg)
        elif verb == "escalate":
            outcome = tickets.escalate(tid, actor, arg.split()[0] if arg else None)
        elif verb == "transfer":
            if not arg:
                raise InvalidInput("Say which queue, e.g. `transfer T-00042 ict-network`.")
            outcome = tickets.escalate(tid, actor, arg.split()[0])
        elif verb == "reopen":
            outcome = tickets.reopen(tid, actor, arg)
        elif verb == "intent":
            if not arg:
                raise InvalidInput("Say which intent, e.g. `intent T-00042 password_reset`.")
            outcome = tickets.change_intent(tid, arg.split()[0], actor)
        elif verb == "pick":
            choice = arg.split()[0] if arg else ""
            if not choice:
                raise InvalidInput("Say which intent, or `none` for something else.")
            outcome = tickets.pick_intent(tid, None if choice.lower() in ("none", "other") else choice, actor)
        elif verb in ("fixed", "notfixed"):
            outcome = tickets.self_help_result(tid, actor, fixed=verb == "fixed")
        elif verb == "followup":
            outcome = tickets.follow_up(tid, actor, arg)
        elif verb == "note":
            if not arg:
                raise InvalidInput("Add the note's text, e.g. `note T-00042 called back, no answer`.")
            outcome = tickets.comment(tid, actor, arg)
        elif verb == "rate":
            choice = arg.lower().strip()
            if choice not in ("up", "down", "good", "bad", "👍", "👎"):
                raise InvalidInput("Rate with `up` or `down`, e.g. `rate T-00042 up`.")
            outcome = tickets.rate(tid, actor, positive=choice in ("up", "good", "👍"))
        else:  # pragma: no cover - TICKET_VERBS and this chain are kept in step by the tests
            raise InvalidInput(f"Unknown command {verb!r}")
        return TicketReply(outcome.ticket, outcome.message, outcome)
