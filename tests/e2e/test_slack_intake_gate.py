"""Small talk, terse messages and mistyped commands over Slack's real protocol: nothing is logged that
is not a request, nothing is refused that is, and the bot answers like a person where it is spoken to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from handlers.blocks.confirm import LOG_IT
from handlers.events import slack_source_key
from servicebot.domain.tickets import EventKind
from servicebot.storage import sources
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import fresh_ts, message_event, reaction_added_event

INTAKE, DM = "C0ICTHELP", "D0DM1"
REQUESTER = "U0REQUESTER"
MANIFEST = Path(__file__).resolve().parents[2] / "slack-app-manifest.yaml"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        yield app


def _dm(live: LiveApp, text: str) -> tuple[str, dict[str, object]]:
    ts = fresh_ts()
    live.sender.send_event(message_event(text, channel=DM, ts=ts, channel_type="im"))
    [reply] = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.settled()
    return ts, reply.args


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", "Tell me what's wrong"),
        ("thanks!", "Glad it's sorted"),
        ("what can you do", "I'm *ServiceBot*"),
        ("asdfghjkl", "I didn't catch that"),
    ],
)
def test_small_talk_in_a_dm_is_answered_and_logs_nothing(live: LiveApp, text: str, expected: str) -> None:
    _ts, reply = _dm(live, text)
    assert expected in str(reply["text"])
    assert live.ticket_count() == 0


def test_small_talk_in_an_intake_channel_is_not_answered(live: LiveApp) -> None:
    for text in ("morning all!", "thanks everyone", "lol"):
        live.sender.send_event(message_event(text, channel=INTAKE))
    live.settled()
    assert live.slack.calls_to("chat.postMessage") == []
    assert live.ticket_count() == 0


def test_a_terse_message_is_asked_about_and_log_it_logs_it_once(live: LiveApp) -> None:
    ts, question = _dm(live, "it's not working")
    assert question["text"] == "Shall I log this as a ticket?"
    assert live.ticket_count() == 0
    [button] = [
        e
        for block in question["blocks"]  # type: ignore[attr-defined]
        if block["type"] == "actions"
        for e in block["elements"]
    ]
    assert button["action_id"] == LOG_IT and button["text"]["text"] == "Log it"
    for _ in range(2):  # a double click logs one ticket
        live.sender.send_action(
            LOG_IT,
            button["value"],
            user_id=REQUESTER,
            channel_id=DM,
            thread_ts=ts,
            response_url=live.slack.response_url(),
        )
        live.slack.wait_for("response_url")
        live.settled()
    [ticket] = live.tickets()
    assert ticket.text == "it's not working" and ticket.requester == REQUESTER and ticket.source == "dm"
    with live.services.db.read() as session:
        assert sources.ticket_for_source(session, slack_source_key(DM, ts)) == ticket.id
    replaced = [c.args for c in live.slack.calls_to("response_url")]
    assert replaced[0]["text"] == f"Logged as *{ticket.ref}*." and replaced[0]["replace_original"]
    assert replaced[1]["text"] == f"Already logged as *{ticket.ref}*."
    cards = [c for c in live.slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts and c.ok]
    assert len(cards) == 2, "the question, then one card however often Log it is pressed"


def test_a_log_it_button_with_a_forged_value_logs_nothing(live: LiveApp) -> None:
    for value in ("", "not json", json.dumps({"text": "x"}), json.dumps([1, 2])):
        live.sender.send_action(LOG_IT, value, user_id=REQUESTER, channel_id=DM)
    live.settled()
    assert live.ticket_count() == 0
    assert len(live.slack.calls_to("chat.postEphemeral")) == 4


@pytest.mark.parametrize("text", ["resolve abc", "resolve", "close 12x"])
def test_a_mistyped_slash_command_gets_its_usage_not_a_ticket(live: LiveApp, text: str) -> None:
    live.sender.send_command(text=text, response_url=live.slack.response_url())
    [answer] = live.slack.wait_for("response_url")
    live.settled()
    assert "needs a ticket reference" in answer.args["text"] and "T-00042" in answer.args["text"]
    assert live.ticket_count() == 0


def test_slash_command_small_talk_is_answered_privately(live: LiveApp) -> None:
    live.sender.send_command(text="hello", response_url=live.slack.response_url())
    [answer] = live.slack.wait_for("response_url")
    live.settled()
    assert "Tell me what's wrong" in answer.args["text"] and answer.args["response_type"] == "ephemeral"
    assert live.ticket_count() == 0


def test_a_thread_comment_delivered_twice_is_recorded_once(live: LiveApp) -> None:
    ts = fresh_ts()
    live.sender.send_event(message_event("teams keeps crashing when I share", channel=INTAKE, ts=ts))
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.settled()
    comment = message_event("it happens in every meeting", channel=INTAKE, thread_ts=ts)
    live.sender.send_event(comment)
    live.sender.send_event(comment)  # the same Slack message again, as a new delivery
    live.settled()
    [ticket] = live.tickets()
    comments = [e for e in live.services.queries.history(ticket.id) if e.kind is EventKind.COMMENTED]
    assert [c.data["text"] for c in comments] == ["it happens in every meeting"]
    assert comments[0].data["source"] == slack_source_key(INTAKE, comment["ts"])


def test_the_manifest_asks_slack_to_escape_user_ids_in_the_slash_command() -> None:
    """So `/servicebot assign T-00042 @sam` arrives as <@U…|sam>, which the bot turns into a user id."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/servicebot" and command["should_escape"] is True


def test_a_reaction_logs_a_terse_message_without_asking_but_not_a_bare_greeting(live: LiveApp) -> None:
    """A :ticket: reaction or the shortcut is a person saying "log this", so the gate does not ask again;
    a message with nothing in it but "hello" still has nothing to log, and the reactor is told so."""
    terse, greeting = fresh_ts(), fresh_ts()
    live.slack.add_message(INTAKE, terse, "it's not working", "U0STAFF9")
    live.slack.add_message(INTAKE, greeting, "hello", "U0STAFF9")
    live.sender.send_event(reaction_added_event("ticket", user="U0AGENT", item_channel=INTAKE, item_ts=terse))
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == terse)
    live.sender.send_event(
        reaction_added_event("ticket", user="U0AGENT", item_channel=INTAKE, item_ts=greeting)
    )
    [note] = live.slack.wait_for("chat.postEphemeral")
    live.settled()
    [ticket] = live.tickets()
    assert ticket.text == "it's not working" and ticket.source == "reaction"
    assert "nothing to log" in note.args["text"] and note.args["user"] == "U0AGENT"


def test_log_it_on_a_slash_command_question_posts_the_card_in_the_channel(live: LiveApp) -> None:
    live.sender.send_command(
        text="it's not working", channel_id=INTAKE, response_url=live.slack.response_url()
    )
    [question] = live.slack.wait_for("response_url")
    assert question.args["text"] == "Shall I log this as a ticket?"
    [button] = [e for b in question.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    live.settled()
    assert live.ticket_count() == 0
    live.sender.send_action(
        LOG_IT, button["value"], user_id=REQUESTER, channel_id=INTAKE, response_url=live.slack.response_url()
    )
    [card] = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == INTAKE)
    live.settled()
    [ticket] = live.tickets()
    assert ticket.source == "command" and ticket.ref in json.dumps(card.args["blocks"])
    assert "thread_ts" not in card.args  # the card starts the ticket's thread, as /servicebot new does
