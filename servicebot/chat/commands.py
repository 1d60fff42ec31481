"""What someone types, parsed once, and the one mapping from a command word to its service call.

The console and Slack's slash command, DMs and mentions parse lines here; Slack's buttons name the same
verbs (`handlers.actions`), so a command behaves the same however it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

from servicebot.chat.alerts import AlertCommand, AlertUsage, parse_alert
from servicebot.domain.days import WORDS, When, parse_when
from servicebot.domain.errors import InvalidInput, UserError
from servicebot.domain.message import Code, Emphasis, Message, Span, Strong, say
from servicebot.domain.tickets import parse_ref
from servicebot.services.actors import Actor
from servicebot.services.tickets import Outcome, TicketService

# NUL and other control characters: a terminal paste or a fuzzer, never meaning.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_REF_MENTION = re.compile(r"\bT-0*[1-9]\d{0,11}\b", re.IGNORECASE)
_MY_TICKETS = re.compile(
    r"^(?:(?:show|list|see|view|check|get)(?: me)?|what are|where are)?\s*(?:all )?my (?:open )?"
    r"(?:tickets?|requests?|calls?)\s*\??$",
    re.IGNORECASE,
)
_REF_TOKEN = re.compile(r"^(?:t-?|#)?\d{1,12}$", re.IGNORECASE)
_LOOKS_LIKE_REF = re.compile(r"^t-", re.IGNORECASE)
# A person to assign to, as a front end passes it on: "@" and their user id (Slack's handlers turn a
# mention into this form before the line reaches the core).
_ASSIGNEE = re.compile(r"^@([A-Za-z0-9][\w.-]*)$")

# What people type → the verb it means.
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


# Words after "help" that ask about the commands rather than for help with a problem ("help me" is a plea).
_HELP_TOPICS = frozenset(
    {
        "commands",
        "command",
        "please",
        "pls",
        "?",
        "status",
        "mine",
        "new",
        "log",
        "outage",
        "stats",
        *TICKET_VERBS,
    }
)


@dataclass(frozen=True)
class NewQuery:
    text: str
    # `new …`, `log …` and the Log it button: the person has said it is a request, so the small-talk gate
    # does not second-guess them (it still refuses a bare "hello", which has nothing in it to log).
    explicit: bool = False


@dataclass(frozen=True)
class AboutTicket:
    """A message that names an existing ticket ("any news on T-00042?"): it is about that ticket, so it is
    answered with how to add to it or see it, never logged as a new one."""

    ticket_id: int
    text: str


@dataclass(frozen=True)
class CommandUsage:
    """A line that starts with a command word but does not parse: answered with that command's usage,
    never logged as a ticket."""

    verb: str
    typed: str
    # The typed word is not a command but one letter away from `verb` ("asign T-00042", "statuss").
    near_miss: bool = False
    # What was wrong with the arguments, when the command word itself was right (`stats 2025-13`).
    problem: Message | None = None


@dataclass(frozen=True)
class SimpleCommand:
    name: Literal["help", "status", "mine"]
    arg: str = ""


@dataclass(frozen=True)
class TicketCommand:
    verb: str
    ticket_id: int
    arg: str = ""


@dataclass(frozen=True)
class OutageCommand:
    """`outage start <service> [note]` or `outage end <service>`: a service is out, or back (staff only)."""

    action: Literal["start", "end"]
    service: str
    note: str = ""


@dataclass(frozen=True)
class StatsCommand:
    """`stats [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD] [desk]`: a desk's figures (managers only).
    The desk is checked against the configuration when it runs; None: the channel's desk, else the default."""

    when: When = "today"
    asked: str = "today"
    desk: str | None = None


Command = (
    NewQuery
    | SimpleCommand
    | TicketCommand
    | CommandUsage
    | AboutTicket
    | OutageCommand
    | StatsCommand
    | AlertCommand
    | AlertUsage
)


def parse(line: str) -> Command:
    """A command only when it is unmistakably one; anything else is a new query to triage."""
    text = _CONTROL.sub("", line).strip()
    words = text.split(maxsplit=2)
    if not words:
        return NewQuery(text)
    head = words[0].lower().lstrip("/")
    bare = head.rstrip("!?.,:")
    if (head == "?" or bare == "help") and (len(words) == 1 or words[1].lower() in _HELP_TOPICS):
        return SimpleCommand("help")
    if _MY_TICKETS.match(text):
        return SimpleCommand("mine")
    if len(words) == 1 and _REF_MENTION.fullmatch(text.rstrip("?!.")):
        return TicketCommand("show", parse_ref(text.rstrip("?!.")))
    if head == "status" and len(words) <= 2:
        return SimpleCommand("status", words[1].lower() if len(words) == 2 else "")
    if head == "mine" and len(words) == 1:
        return SimpleCommand("mine")
    if head in ("new", "log"):
        return NewQuery(text[len(words[0]) :].strip(), explicit=True)
    if bare == "stats":
        stats = _stats(text)
        if stats is not None:
            return stats
    if bare == "outage":
        outage = _outage(text)
        if outage is not None:
            return outage
    if head in ("alert", "alerts"):
        alert = parse_alert(text)
        if alert is not None:
            return alert
    if head in TICKET_VERBS:
        token = words[1] if len(words) >= 2 else ""
        if _REF_TOKEN.match(token) or _LOOKS_LIKE_REF.match(token):
            return TicketCommand(
                TICKET_VERBS[head], parse_ref(token), words[2].strip() if len(words) > 2 else ""
            )
        # "resolve", "resolve abc", "close 42x": a command gone wrong, not a request. A longer line whose
        # second word is no ticket reference ("close my council tax account") is someone's request.
        if len(words) <= 2 or any(c.isdigit() for c in token) or token.startswith("#"):
            return CommandUsage(TICKET_VERBS[head], head)
    near = _near_miss(head)
    with_ref = len(words) > 1 and bool(_REF_TOKEN.match(words[1]) or _LOOKS_LIKE_REF.match(words[1]))
    # Alone, "noted" or "closed" is someone talking, not a mistyped note or close.
    inflected = any(head == verb + end for verb in TICKET_VERBS for end in ("s", "d", "ed", "es"))
    if near is not None and (with_ref or (len(words) == 1 and not inflected)):
        return CommandUsage(near, head, near_miss=True)
    mentioned = _REF_MENTION.search(text)
    if mentioned is not None:
        return AboutTicket(parse_ref(mentioned.group(0)), text)
    return NewQuery(text)


def _outage(text: str) -> Command | None:
    """`outage start|end <service> …`; a bare or half `outage` gets its usage; a longer line that is not
    one ("outage on the network at county hall") is someone reporting a problem: None, triage it."""
    parts = text.split(maxsplit=3)
    action = parts[1].lower() if len(parts) > 1 else ""
    if action in ("start", "end") and len(parts) >= 3:
        # `end` takes no note: the words after the service are the person saying so, not data to keep.
        note = parts[3].strip() if action == "start" and len(parts) > 3 else ""
        return OutageCommand("start" if action == "start" else "end", parts[2].lower(), note)
    if len(parts) <= 2 or action in ("start", "end", *_OUTAGE_VERB_SLIPS):
        return CommandUsage("outage", parts[0].lower().lstrip("/"))
    return None


_DESK_WORD = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def _stats(text: str) -> StatsCommand | CommandUsage | None:
    """`stats` and up to two arguments, in either order: a span of days and a desk. Anything else is its
    usage with what was wrong, never a ticket; except a sentence ("stats are wrong on the dashboard"): more
    than two words after `stats`, none of them a span of days, is someone's request (None: triage it)."""
    args = text.split()[1:]
    if len(args) > 2 and not any(a.lower() in WORDS or a[:1].isdigit() for a in args):
        return None
    when: When | None = None
    asked = "today"
    desk: str | None = None

    def wrong(*problem: Span | Message) -> CommandUsage:
        return CommandUsage("stats", "stats", problem=say(*problem))

    if len(args) > 2:
        return wrong(
            Code(args[2]),
            " is one word too many: stats takes a span of days and a desk, each at most once",
        )
    for arg in args:
        word = arg.lower()
        if word in WORDS or word[:1].isdigit():
            if when is not None:
                return wrong("two spans of days (", Code(asked), " and ", Code(arg), "); name one")
            try:
                when = parse_when(word)
            except UserError as exc:
                return wrong(exc.message)
            asked = word
        elif _DESK_WORD.match(word):
            if desk is not None:
                return wrong("two desks (", Code(desk), " and ", Code(arg), "); name one")
            desk = word
        else:
            return wrong(Code(arg), " is neither a span of days nor a desk")
    return StatsCommand(when or "today", asked, desk)


# Words people reach for instead of start/end: `outage begin email` is a command mistyped, not a report of
# a problem, so it gets the usage rather than a P1 major-incident ticket.
_OUTAGE_VERB_SLIPS = frozenset(
    {
        "begin",
        "began",
        "open",
        "opened",
        "stop",
        "stopped",
        "close",
        "closed",
        "finish",
        "finished",
        "over",
        "ended",
        "started",
        "resolve",
        "resolved",
        "restore",
        "restored",
        "up",
        "down",
        "fixed",
        "clear",
        "cleared",
        "raise",
        "report",
        "stat",
        "strat",
        "ned",
        "edn",
    }
)


# -- the verbs that change a ticket, and the service call each one makes ------------------------------
Run = Callable[[TicketService, int, Actor, str], Outcome]


def _first_word(arg: str) -> str:
    return arg.split()[0] if arg.strip() else ""


def _assign(tickets: TicketService, ticket_id: int, actor: Actor, arg: str) -> Outcome:
    person = _ASSIGNEE.match(arg.strip())
    if arg.strip() and not person:
        raise InvalidInput("Assign to someone with an @mention, e.g. ", Code("assign T-00042 @sam"), ".")
    return tickets.assign(ticket_id, actor, person.group(1) if person else None)


def _transfer(tickets: TicketService, ticket_id: int, actor: Actor, arg: str) -> Outcome:
    if not _first_word(arg):
        raise InvalidInput("Say which queue, e.g. ", Code("transfer T-00042 ict-network"), ".")
    return tickets.transfer(ticket_id, actor, _first_word(arg))


def _intent(tickets: TicketService, ticket_id: int, actor: Actor, arg: str) -> Outcome:
    if not _first_word(arg):
        raise InvalidInput("Say which intent, e.g. ", Code("intent T-00042 password_reset"), ".")
    return tickets.change_intent(ticket_id, _first_word(arg), actor)


def _pick(tickets: TicketService, ticket_id: int, actor: Actor, arg: str) -> Outcome:
    choice = _first_word(arg)
    if not choice:
        raise InvalidInput("Say which intent, or ", Code("none"), " for something else.")
    return tickets.pick_intent(ticket_id, None if choice.lower() in ("none", "other") else choice, actor)


def _note(tickets: TicketService, ticket_id: int, actor: Actor, arg: str) -> Outcome:
    if not arg.strip():
        raise InvalidInput("Add the note's text, e.g. ", Code("note T-00042 called back, no answer"), ".")
    return tickets.comment(ticket_id, actor, arg)


def _rate(tickets: TicketService, ticket_id: int, actor: Actor, arg: str) -> Outcome:
    choice = arg.lower().strip()
    if choice not in ("up", "down", "good", "bad", "👍", "👎"):
        raise InvalidInput(
            "Rate with ", Code("up"), " or ", Code("down"), ", e.g. ", Code("rate T-00042 up"), "."
        )
    return tickets.rate(ticket_id, actor, positive=choice in ("up", "good", "👍"))


TICKET_COMMANDS: dict[str, Run] = {
    "assign": _assign,
    "resolve": lambda tickets, ticket_id, actor, arg: tickets.resolve(ticket_id, actor, arg),
    "escalate": lambda tickets, ticket_id, actor, arg: tickets.escalate(
        ticket_id, actor, _first_word(arg) or None
    ),
    "transfer": _transfer,
    "reopen": lambda tickets, ticket_id, actor, arg: tickets.reopen(ticket_id, actor, arg),
    "intent": _intent,
    "pick": _pick,
    "fixed": lambda tickets, ticket_id, actor, _: tickets.self_help_result(ticket_id, actor, fixed=True),
    "notfixed": lambda tickets, ticket_id, actor, _: tickets.self_help_result(ticket_id, actor, fixed=False),
    "followup": lambda tickets, ticket_id, actor, arg: tickets.follow_up(ticket_id, actor, arg),
    "note": _note,
    "rate": _rate,
}


STATS_FORM = "stats [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD] [desk]"
_SIMPLE_FORMS = {"status": "status [desk]", "mine": "mine", "help": "help", "stats": STATS_FORM}
OUTAGE_FORMS = ("outage start <service> [note]", "outage end <service>")
USAGE: dict[str, str] = {
    "show": "show T-00042",
    "assign": "assign T-00042 [@someone]",
    "resolve": "resolve T-00042 [note]",
    "escalate": "escalate T-00042 [queue]",
    "transfer": "transfer T-00042 <queue>",
    "reopen": "reopen T-00042 [reason]",
    "intent": "intent T-00042 <intent_id>",
    "pick": "pick T-00042 <intent_id|none>",
    "fixed": "fixed T-00042",
    "notfixed": "notfixed T-00042",
    "followup": "callback T-00042 [note]",
    "rate": "rate T-00042 up|down",
    "note": "note T-00042 <text>",
}


def _near_miss(word: str) -> str | None:
    """The command word one typo away from `word` ("asign" → assign), if there is exactly one."""
    if len(word) < 4 or word in TICKET_VERBS or word in _SIMPLE_FORMS or word == "outage":
        return None
    close = {
        TICKET_VERBS.get(verb, verb)
        for verb in (*TICKET_VERBS, *_SIMPLE_FORMS, "outage")
        if len(verb) >= 4 and Levenshtein.distance(word, verb, score_cutoff=1) <= 1
    }
    return close.pop() if len(close) == 1 else None


def usage(command: CommandUsage) -> tuple[Span, ...]:
    """What a mistyped command is answered with: its usage, and how to log the words as a request."""
    said: tuple[Span, ...]
    if command.problem is not None:
        said = (*command.problem.spans, ". Usage: ", Code(_SIMPLE_FORMS.get(command.verb, command.verb)), ".")
    elif command.verb == "outage":
        forms: tuple[Span, ...] = (Code(OUTAGE_FORMS[0]), " or ", Code(OUTAGE_FORMS[1]))
        if command.near_miss:
            said = (Code(command.typed), " is not a command; did you mean ", *forms, "?")
        else:
            said = (Code(command.typed), " needs start or end and a service: ", *forms, ".")
    elif command.near_miss:
        form = USAGE.get(command.verb) or _SIMPLE_FORMS[command.verb]
        said = (Code(command.typed), " is not a command; did you mean ", Code(form), "?")
    else:
        form = USAGE.get(command.verb) or _SIMPLE_FORMS[command.verb]
        if command.typed != command.verb and command.typed in TICKET_VERBS:
            form = command.typed + form[form.index(" ") :]
        said = (Code(command.typed), " needs a ticket reference: ", Code(form), ".")
    return (*said, " To log your words as a new request instead, start with ", Code("new"), ".")


# One line of help per row, each a command (or several) and what it does.
_HELP_ROWS: tuple[tuple[Span, ...], ...] = (
    (
        Code("new <text>"),
        ": log your words as a ticket as they stand (",
        Code("log"),
        " answers ",
        Emphasis("Shall I log this?"),
        ")",
    ),
    (Code("status [desk]"), ": open tickets by queue, and the services out"),
    (Code("mine"), ": your tickets (agents: assigned to you; everyone else: raised by you)"),
    (Code("show T-00042"), ": a ticket and its history"),
    (Code("assign T-00042 [@someone]"), ", ", Code("resolve T-00042 [note]")),
    (Code("escalate T-00042 [queue]"), ", ", Code("transfer T-00042 <queue>")),
    (
        Code("reopen T-00042 [reason]"),
        ", ",
        Code("intent T-00042 <intent_id>"),
        ", ",
        Code("callback T-00042 [note]"),
        ", ",
        Code("note T-00042 <text>"),
    ),
    (
        Code("pick T-00042 <intent_id|none>"),
        ", ",
        Code("fixed T-00042"),
        " / ",
        Code("notfixed T-00042"),
        " (self-help), ",
        Code("rate T-00042 up|down"),
    ),
    (Code(OUTAGE_FORMS[0]), ", ", Code(OUTAGE_FORMS[1]), ": a service is out, or back (agents)"),
    (Code(STATS_FORM), ": a desk's figures and KPIs (managers)"),
    (
        Code("alerts"),
        ": open breach alerts; ",
        Code("alert ack|snooze|comment <id> …"),
        ": answer one (its owners, director, managers)",
    ),
    (Code("help"), ": this message"),
)
HELP = say(
    Strong("ServiceBot"),
    " logs and routes your request. Just describe the problem,\ne.g. ",
    Emphasis('"outlook keeps asking for my password"'),
    ". Commands:",
    *(span for row in _HELP_ROWS for span in ("\n• ", *row)),
)
