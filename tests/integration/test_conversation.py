"""parse() of what people type, and Conversation.handle against the real services."""

from __future__ import annotations

import pytest

from servicebot.bootstrap import Services
from servicebot.chat.commands import (
    HELP,
    TICKET_COMMANDS,
    TICKET_VERBS,
    AboutTicket,
    Command,
    CommandUsage,
    NewQuery,
    SimpleCommand,
    TicketCommand,
    parse,
)
from servicebot.chat.replies import (
    ConfirmReply,
    IntakeReply,
    SmallTalkReply,
    StatusReply,
    TextReply,
    TicketListReply,
    TicketReply,
)
from servicebot.domain.message import from_marked
from servicebot.domain.tickets import Status, TicketRuleError
from servicebot.services.actors import Actor
from servicebot.services.intake import Source
from servicebot.services.queries import TicketFilter
from servicebot.storage import sources
from servicebot.triage.gate import Screening, Verdict
from tests.conftest import AGENT, REQUESTER

SOURCE = Source("console")
REQ = Actor(REQUESTER)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("help", SimpleCommand("help")),
        ("  HELP  ", SimpleCommand("help")),
        ("?", SimpleCommand("help")),
        ("/help", SimpleCommand("help")),
        ("status", SimpleCommand("status", "")),
        ("status ict", SimpleCommand("status", "ict")),
        ("Status CONTACT", SimpleCommand("status", "contact")),
        ("mine", SimpleCommand("mine")),
        ("resolve T-1 note text", TicketCommand("resolve", 1, "note text")),
        ("resolve T-00042   reset via AD  ", TicketCommand("resolve", 42, "reset via AD")),
        ("assign #5", TicketCommand("assign", 5, "")),
        ("take 7", TicketCommand("assign", 7, "")),
        ("close t-3 done", TicketCommand("resolve", 3, "done")),
        ("callback T-9 rang, no answer", TicketCommand("followup", 9, "rang, no answer")),
        ("history T-12", TicketCommand("show", 12, "")),
        ("rate T-4 up", TicketCommand("rate", 4, "up")),
        ("new printer broken", NewQuery("printer broken", explicit=True)),
        ("new status", NewQuery("status", explicit=True)),
        ("log vpn", NewQuery("vpn", explicit=True)),
        ("log", NewQuery("", explicit=True)),
        # A command word whose reference is missing or mistyped: its usage, never a ticket.
        ("resolve", CommandUsage("resolve", "resolve")),
        ("resolve abc", CommandUsage("resolve", "resolve")),
        ("Close 42x", CommandUsage("resolve", "close")),
        ("assign #x please", CommandUsage("assign", "assign")),
        ("pick", CommandUsage("pick", "pick")),
        ("asign T-00001", CommandUsage("assign", "asign", near_miss=True)),
        ("statuss", CommandUsage("status", "statuss", near_miss=True)),
        ("noted", NewQuery("noted")),  # alone, an inflection is someone talking
        ("help!!", SimpleCommand("help")),
        ("help resolve", SimpleCommand("help")),
        ("status\x00", SimpleCommand("status", "")),
        ("show me my tickets", SimpleCommand("mine")),
        ("what are my tickets?", SimpleCommand("mine")),
        ("T-00002", TicketCommand("show", 2, "")),
        ("t-2?", TicketCommand("show", 2, "")),
        ("any news on T-00002?", AboutTicket(2, "any news on T-00002?")),
        ("update T-00002 still broken", AboutTicket(2, "update T-00002 still broken")),
        ("new T-00002 is broken again", NewQuery("T-00002 is broken again", explicit=True)),
    ],
)
def test_parse_commands(line: str, expected: Command) -> None:
    assert parse(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "help me my printer is broken",
        "resolve my printer issue",
        "status of my laptop order please",
        "mine is broken too",
        "assign someone to my ticket please",
        "show me how to reset my password",
        "close the ticket, it's fixed",
        "escalate this please",
        "the printer on floor 2 is jammed",
        "12 people cannot log in",
    ],
)
def test_parse_everything_else_is_a_new_query(line: str) -> None:
    assert parse(line) == NewQuery(line)


def test_every_ticket_verb_parses_to_a_command() -> None:
    for word, verb in TICKET_VERBS.items():
        assert parse(f"{word} T-00042 x") == TicketCommand(verb, 42, "x")
        assert parse(f"{word.upper()} #42") == TicketCommand(verb, 42, "")


def test_every_ticket_verb_has_one_service_call() -> None:
    """The console, the slash command and Slack's buttons all go through this one mapping."""
    assert set(TICKET_COMMANDS) == set(TICKET_VERBS.values()) - {"show"}


@pytest.mark.parametrize("token", ["T-abc", "t-", "T-4x2", "T-" + "9" * 13])
def test_parse_refuses_a_malformed_ref_that_is_clearly_meant_as_one(token: str) -> None:
    with pytest.raises(TicketRuleError, match="not a ticket id"):
        parse(f"resolve {token}")


def test_handle_a_malformed_ref_is_an_error_reply_naming_it(services: Services) -> None:
    reply = services.conversation.handle("resolve T-abc", services.actor(AGENT), SOURCE)
    assert isinstance(reply, TextReply)
    assert reply.ok is False
    assert "'T-abc'" in str(reply.text)


def test_handle_runs_commands(services: Services) -> None:
    conversation = services.conversation
    agent = services.actor(AGENT)
    assert conversation.handle("help", REQ, SOURCE) == TextReply(HELP)

    intake = conversation.handle("I've forgotten my password and I'm locked out", REQ, SOURCE)
    assert isinstance(intake, IntakeReply)
    ref = intake.intake.ticket.ref

    shown = conversation.handle(f"show {ref}", REQ, SOURCE)
    assert isinstance(shown, TicketReply)
    assert shown.ticket.id == intake.intake.ticket.id
    assert len(shown.history) == 4 and "created" in shown.history[0]
    assert shown.history[-1] == "    self-help: Reset your password yourself"

    # Front ends pass a person as "@" and their id (Slack's handlers turn <@U…|sam> into this first).
    assigned = conversation.handle(f"assign {ref} @U0AGENT02", agent, SOURCE)
    assert isinstance(assigned, TicketReply)
    assert assigned.ticket.assignee == "U0AGENT02"

    before = conversation.handle("status ict", agent, SOURCE)
    assert isinstance(before, StatusReply)
    assert before.rows == (("ict-accounts", "in_progress", 1),)

    resolved = conversation.handle(f"resolve {ref} reset in AD", agent, SOURCE)
    assert isinstance(resolved, TicketReply)
    assert resolved.ticket.status is Status.RESOLVED
    assert resolved.outcome is not None and resolved.outcome.ask_rating is True

    rated = conversation.handle(f"rate {ref} 👍", REQ, SOURCE)
    assert isinstance(rated, TicketReply) and rated.ticket.rating is True

    status = conversation.handle("status ict", agent, SOURCE)
    assert isinstance(status, StatusReply)
    assert status.desk == "ict"
    assert status.rows == (), "status shows open work; the only ticket is resolved"

    mine = conversation.handle("mine", REQ, SOURCE)
    assert isinstance(mine, TicketListReply)
    assert [t.ref for t in mine.tickets] == [ref]


def test_handle_never_raises_for_bad_input(services: Services) -> None:
    conversation = services.conversation
    agent = services.actor(AGENT)
    intake = conversation.handle("the screen thing is odd", REQ, SOURCE)  # needs a pick: no self-help
    assert isinstance(intake, IntakeReply)
    ref = intake.intake.ticket.ref
    bad: list[tuple[str, Actor, str]] = [
        ("show T-00999", agent, "T-00999"),
        ("resolve T-999 done", agent, "T-00999"),
        ("rate T-999 up", REQ, "T-00999"),
        (f"rate {ref} meh", REQ, "up"),
        (f"rate {ref}", REQ, "up"),
        (f"rate {ref} up", REQ, "not resolved"),
        (f"intent {ref}", agent, "Say which intent"),
        (f"intent {ref} no_such_intent", agent, "no_such_intent"),
        (f"pick {ref}", REQ, "Say which intent"),
        (f"transfer {ref}", agent, "Say which queue"),
        (f"escalate {ref} ict-nowhere", agent, "ict-nowhere"),
        (f"assign {ref} bob", agent, "@mention"),
        (f"note {ref}", agent, "note's text"),
        (f"resolve {ref}", REQ, "agents"),
        (f"reopen {ref}", REQ, "not resolved"),
        (f"fixed {ref}", REQ, "not offered self-help"),
        ("status nowhere", agent, "'nowhere'"),
        ("new", REQ, "Say what to log"),
        ("log", REQ, "Say what to log"),
        ("new :tada:", REQ, "a few words"),
        ("resolve T-", agent, "not a ticket id"),
        ("assign #0", agent, "not a ticket id"),
        ("resolve abc", agent, "resolve T-00042 [note]"),
        ("resolve", agent, "resolve T-00042 [note]"),
        ("close 12b", agent, "close T-00042 [note]"),
        ("pick", REQ, "pick T-00042 <intent_id|none>"),
    ]
    for line, actor, expected in bad:
        reply = conversation.handle(line, actor, SOURCE)
        assert isinstance(reply, TextReply), (line, reply)
        assert reply.ok is False, line
        assert expected in str(reply.text), (line, reply.text)
    # None of that changed the ticket.
    assert [e.kind.value for e in services.queries.history(intake.intake.ticket.id)] == ["created"]


def test_handle_unknown_desk_for_a_new_query(services: Services) -> None:
    reply = services.conversation.handle("my printer is jammed", REQ, SOURCE, desk="payroll")
    assert isinstance(reply, TextReply)
    assert reply.ok is False
    assert "'payroll'" in str(reply.text)
    status = services.conversation.handle("status", REQ, SOURCE, desk="payroll")
    assert isinstance(status, TextReply) and status.ok is False and "'payroll'" in str(status.text)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("hello", "greeting"),
        ("Good morning!", "greeting"),
        ("thanks!", "thanks"),
        ("cheers, that's sorted it", "thanks"),
        ("printer's working now, thanks", "thanks"),
        ("what can you do", "about"),
        ("are you a robot?", "about"),
        ("tell me a joke", "chat"),
        ("bye", "goodbye"),
        ("ok", "ack"),
        ("👍", "ack"),
        ("asdfghjkl", "noise"),
        ("sdfsdf", "noise"),
        ("test", "noise"),
        ("???", "noise"),
    ],
)
def test_small_talk_is_answered_and_logs_nothing(services: Services, line: str, kind: str) -> None:
    reply = services.conversation.handle(line, REQ, SOURCE)
    assert isinstance(reply, SmallTalkReply), reply
    assert reply.kind == kind
    assert str(reply.text) == str(from_marked(services.intake.reply_to(Screening(Verdict.SMALL_TALK, kind))))
    assert services.queries.search(TicketFilter()) == []


@pytest.mark.parametrize(
    "line",
    [
        "hi, my laptop won't turn on",
        "morning - teams keeps crashing, thanks",
        "printer jammed",
        "vpn",
        "bin not collected",
        "printer's broken again, thanks",
    ],
)
def test_a_request_wrapped_in_courtesy_is_logged(services: Services, line: str) -> None:
    reply = services.conversation.handle(line, REQ, SOURCE)
    assert isinstance(reply, IntakeReply), reply
    assert reply.intake.created


def test_unsure_asks_once_and_log_logs_the_words_asked_about(services: Services) -> None:
    source = Source("dm", key="slack:D1:1.000", channel="D1", ts="1.000")
    asked = services.conversation.handle("it's not working", REQ, source)
    assert isinstance(asked, ConfirmReply)
    assert str(asked.question) == "Shall I log this as a ticket?"
    assert (asked.text, asked.requester, asked.source) == ("it's not working", REQUESTER, source)
    assert services.queries.search(TicketFilter()) == []
    logged = services.conversation.handle("log", REQ, SOURCE)
    assert isinstance(logged, IntakeReply) and logged.intake.created
    assert logged.intake.ticket.text == "it's not working"
    with services.db.read() as session:  # logged as the message it was asked about, so it stays one ticket
        assert sources.ticket_for_source(session, "slack:D1:1.000") == logged.intake.ticket.id
    # The question was answered: a second bare `log` has nothing to log.
    again = services.conversation.handle("log", REQ, SOURCE)
    assert isinstance(again, TextReply) and not again.ok and "Say what to log" in str(again.text)


def test_new_logs_what_the_gate_would_ask_about_but_not_bare_courtesy(services: Services) -> None:
    logged = services.conversation.handle("new it's not working", REQ, SOURCE)
    assert isinstance(logged, IntakeReply) and logged.intake.created
    refused = services.conversation.handle("new hello", REQ, SOURCE)
    assert isinstance(refused, TextReply) and not refused.ok and "nothing to log" in str(refused.text)
    assert len(services.queries.search(TicketFilter())) == 1


@pytest.mark.parametrize("line", ["resolve abc", "resolve", "Close 42x", "note", "rate"])
def test_a_mistyped_command_gets_its_usage_never_a_ticket(services: Services, line: str) -> None:
    reply = services.conversation.handle(line, services.actor(AGENT), SOURCE)
    assert isinstance(reply, TextReply) and not reply.ok
    assert "needs a ticket reference" in str(reply.text) and "T-00042" in str(reply.text)
    assert services.queries.search(TicketFilter()) == []


def test_words_about_an_existing_ticket_point_to_it_and_log_nothing(services: Services) -> None:
    first = services.conversation.handle("my laptop screen is cracked", REQ, SOURCE)
    assert isinstance(first, IntakeReply)
    reply = services.conversation.handle("any news on T-00001?", REQ, SOURCE)
    assert isinstance(reply, TextReply) and reply.ok
    assert "note T-00001 <your words>" in str(reply.text) and "show T-00001" in str(reply.text)
    missing = services.conversation.handle("update T-00099 please", REQ, SOURCE)
    assert isinstance(missing, TextReply) and not missing.ok and "T-00099" in str(missing.text)
    assert len(services.queries.search(TicketFilter())) == 1


def test_anything_but_log_moves_on_from_the_question(services: Services) -> None:
    asked = services.conversation.handle("urgent", REQ, SOURCE)
    assert isinstance(asked, ConfirmReply)
    services.conversation.handle("no thanks", REQ, SOURCE)
    after = services.conversation.handle("log", REQ, SOURCE)
    assert isinstance(after, TextReply) and not after.ok and "Say what to log" in str(after.text)
    assert services.queries.search(TicketFilter()) == []


def test_show_in_chat_carries_what_people_wrote(services: Services) -> None:
    agent = services.actor(AGENT)
    services.conversation.handle("my laptop screen is cracked", REQ, SOURCE)
    services.conversation.handle("note T-00001 flickers before it dies", agent, SOURCE)
    services.conversation.handle("resolve T-00001 replaced the panel", agent, SOURCE)
    shown = services.conversation.handle("show T-00001", agent, SOURCE)
    assert isinstance(shown, TicketReply)
    assert "    comment: flickers before it dies" in shown.history
    assert "    note: replaced the panel" in shown.history


def test_refusals_name_the_verb_typed_and_notes_are_for_the_ticket_s_people(services: Services) -> None:
    services.conversation.handle("my laptop screen is cracked", REQ, SOURCE)
    transfer = services.conversation.handle("transfer T-00001 ict-network", REQ, SOURCE)
    assert isinstance(transfer, TextReply) and "can transfer tickets" in str(transfer.text)
    stranger = services.conversation.handle("note T-00001 hello", Actor("U0STRANGER"), SOURCE)
    assert isinstance(stranger, TextReply) and not stranger.ok
    assert "Only the person who raised T-00001 or agents of the ict desk" in str(stranger.text)
    agent = services.actor(AGENT)
    services.conversation.handle("resolve T-00001", agent, SOURCE)
    escalate = services.conversation.handle("escalate T-00001", agent, SOURCE)
    assert isinstance(escalate, TextReply) and "cannot move T-00001: it is resolved" in str(escalate.text)


def test_a_command_word_one_typo_off_is_asked_about_never_logged(services: Services) -> None:
    reply = services.conversation.handle("asign T-00001", services.actor(AGENT), SOURCE)
    assert isinstance(reply, TextReply) and not reply.ok
    assert str(reply.text).startswith("asign is not a command; did you mean assign T-00042 [@someone]?")
    status = services.conversation.handle("statuss", REQ, SOURCE)
    assert isinstance(status, TextReply) and "did you mean status [desk]?" in str(status.text)
    assert services.queries.search(TicketFilter()) == []
