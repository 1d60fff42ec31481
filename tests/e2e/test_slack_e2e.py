"""End to end over Slack's HTTP protocol: signed requests in, real Web API calls out to a fake Slack."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handlers import blocks as b
from handlers.events import slack_source_key
from servicebot.domain.fcr import contact_facts
from servicebot.domain.tickets import EventKind, Status
from tests.conftest import AGENT
from tests.support.fake_slack import BOT_USER_ID, Call
from tests.support.live_app import SIGNING_SECRET, LiveApp, live_app
from tests.support.slack_requests import (
    app_mention_event,
    fresh_event_id,
    fresh_ts,
    message_event,
    reaction_added_event,
    sign,
)

INTAKE, TRIAGE = "C0ICTHELP", "C0ICTTRIAGE"
REQUESTER = "U0REQUESTER"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        yield app


def _posts(live: LiveApp, channel: str) -> list[Call]:
    return [c for c in live.slack.calls_to("chat.postMessage") if c.ok and c.args.get("channel") == channel]


def _action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e.get("action_id") for blk in blocks if blk.get("type") == "actions" for e in blk["elements"]]


def _log_message(live: LiveApp, text: str, user: str = REQUESTER) -> tuple[str, Any]:
    ts = fresh_ts()
    response = live.sender.send_event(message_event(text, user=user, channel=INTAKE, ts=ts))
    assert response.status == 200
    card = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)[0]
    live.settled()
    return ts, card


# -- intake ----------------------------------------------------------------------------------------------
def test_message_in_intake_channel_becomes_a_triaged_ticket_with_a_card_in_its_thread(live: LiveApp) -> None:
    ts, card = _log_message(live, "I've forgotten my password and cannot log in to my laptop")

    [ticket] = live.tickets()
    assert ticket.requester == REQUESTER
    assert ticket.status is Status.TRIAGED
    assert ticket.intent in ("password_reset", "account_locked")
    assert card.args["channel"] == INTAKE and card.args["thread_ts"] == ts
    assert ticket.ref in card.args["text"]
    ids = _action_ids(card.args["blocks"])
    assert {b.ASSIGN, b.RESOLVE, b.ESCALATE, b.TRANSFER, b.INTENT} <= set(ids)
    assert b.SELF_HELP_FIXED in ids, "a password reset offers self-help first"
    triage_copy = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == TRIAGE)
    assert ticket.ref in triage_copy[0].args["text"]
    assert [r.processed_at is not None for r in live.inbox()] == [True]


def test_a_retried_event_never_makes_a_second_ticket(live: LiveApp) -> None:
    event = message_event("the printer on floor 3 keeps jamming", channel=INTAKE)
    event_id = fresh_event_id()
    assert live.sender.send_event(event, event_id=event_id).status == 200
    live.slack.wait_for("chat.postMessage", count=2)
    for retry in (1, 2, 3):
        response = live.sender.send_event(
            event, event_id=event_id, retry_num=retry, retry_reason="http_timeout"
        )
        assert response.status == 200
    live.settled()
    assert live.ticket_count() == 1
    assert len(live.slack.calls_to("chat.postMessage")) == 2  # the card and its copy in the triage channel


def test_the_same_message_as_event_and_mention_makes_one_ticket(live: LiveApp) -> None:
    ts = fresh_ts()
    text = f"<@{BOT_USER_ID}> outlook will not open since this morning"
    live.sender.send_event(message_event(text, channel=INTAKE, ts=ts))
    live.sender.send_event(app_mention_event(text, channel=INTAKE, ts=ts))
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.settled()
    time.sleep(0.1)
    assert live.ticket_count() == 1
    assert len(_posts(live, INTAKE)) == 1


@pytest.mark.parametrize(
    "event",
    [
        message_event("edited text", channel=INTAKE, subtype="message_changed"),
        message_event("a bot speaking", channel=INTAKE, subtype="bot_message", bot_id="B0OTHER"),
        message_event("our own post", channel=INTAKE, user=BOT_USER_ID),
        message_event("chatter in a channel that is not an intake channel", channel="C0RANDOM"),
    ],
    ids=["edit", "bot", "self", "other-channel"],
)
def test_bots_edits_own_posts_and_other_channels_are_ignored(live: LiveApp, event: dict[str, Any]) -> None:
    assert live.sender.send_event(event).status == 200
    live.settled()
    assert live.ticket_count() == 0
    assert live.slack.calls_to("chat.postMessage") == []


def test_emoji_only_messages_log_nothing_and_are_answered_only_when_said_to_the_bot(live: LiveApp) -> None:
    live.sender.send_event(message_event(":fire: :fire:", channel=INTAKE))
    live.settled()
    assert live.slack.calls_to("chat.postMessage") == []  # a reaction to colleagues, not to the bot
    ts = fresh_ts()
    live.sender.send_event(message_event(":fire: :fire:", channel="D0DM1", ts=ts, channel_type="im"))
    [reply] = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    assert "just describe the problem" in reply.args["text"]
    live.settled()
    assert live.ticket_count() == 0


def test_a_40000_character_paste_is_logged_truncated(live: LiveApp) -> None:
    text = "VPN drops every few minutes when working from home. " + "log line " * 5000
    _log_message(live, text)
    [ticket] = live.tickets()
    assert len(ticket.text) <= 4000
    assert ticket.text.startswith("VPN drops")


def test_dm_logs_a_ticket_and_answers_commands(live: LiveApp) -> None:
    ts = fresh_ts()
    live.sender.send_event(
        message_event("my laptop screen is cracked", channel="D0DM1", ts=ts, channel_type="im")
    )
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "D0DM1")
    live.sender.send_event(message_event("mine", channel="D0DM1", channel_type="im"))
    replies = live.slack.wait_for(
        "chat.postMessage", count=2, where=lambda c: c.args.get("channel") == "D0DM1"
    )
    [ticket] = live.tickets()
    assert ticket.ref in json.dumps(replies[1].args["blocks"])


def test_replies_in_a_ticket_thread_are_recorded_as_comments(live: LiveApp) -> None:
    ts, _ = _log_message(live, "teams keeps crashing when I share my screen")
    reply = message_event("it happens in every meeting", channel=INTAKE, thread_ts=ts)
    live.sender.send_event(reply)
    live.settled()
    [ticket] = live.tickets()
    events = live.services.queries.history(ticket.id)
    assert events[-1].kind is EventKind.COMMENTED
    assert events[-1].data == {
        "text": "it happens in every meeting",
        "role": "requester",
        "source": slack_source_key(INTAKE, reply["ts"]),
    }
    assert live.ticket_count() == 1


def test_a_mention_in_a_ticket_thread_is_one_comment_not_two(live: LiveApp) -> None:
    ts, _ = _log_message(live, "the intranet will not load on my laptop")
    text = f"<@{BOT_USER_ID}> still broken after a restart"
    reply_ts = fresh_ts()
    live.sender.send_event(message_event(text, channel=INTAKE, ts=reply_ts, thread_ts=ts))
    live.sender.send_event(app_mention_event(text, channel=INTAKE, ts=reply_ts, thread_ts=ts))
    live.settled()
    [ticket] = live.tickets()
    comments = [e for e in live.services.queries.history(ticket.id) if e.kind is EventKind.COMMENTED]
    assert [c.data["text"] for c in comments] == ["still broken after a restart"]
    assert live.ticket_count() == 1


# -- slash command, shortcut, reaction ------------------------------------------------------------------
def test_slash_command_new_logs_a_ticket_with_its_card_in_the_channel(live: LiveApp) -> None:
    started = time.monotonic()
    response = live.sender.send_command(text="new the scanner in reception will not scan to email")
    assert response.status == 200
    assert time.monotonic() - started < 3, "Slack needs the ack within 3 seconds"
    [card] = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == INTAKE)
    assert "thread_ts" not in card.args
    live.settled()
    [ticket] = live.tickets()
    assert ticket.source == "command"
    root = slack_source_key(INTAKE, card.response["ts"])
    assert live.services.messages.ticket_for_thread(INTAKE, card.response["ts"], root) == ticket.id


def test_slash_command_answers_privately_and_names_bad_input(live: LiveApp) -> None:
    live.sender.send_command(text="resolve T-00099")
    live.sender.send_command(text="")
    answers = live.slack.wait_for("response_url", count=2)
    texts = sorted(a.args["text"] for a in answers)
    assert any("T-00099" in t for t in texts)
    assert any("ServiceBot" in t for t in texts), "an empty command shows help"
    assert all(a.args["response_type"] == "ephemeral" for a in answers)


def test_slash_command_assigns_to_a_mentioned_person_and_the_thread_mentions_them(live: LiveApp) -> None:
    """Slack sends a person as <@U…|name>; the core takes a user id; the thread shows a mention again."""
    ts, _ = _log_message(live, "the desk phone in room 4 has no dial tone")
    [ticket] = live.tickets()
    live.sender.send_command(text=f"assign {ticket.ref} <@U0AGENT02|sam>", user_id=AGENT)
    notice = live.slack.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts and "assigned" in c.args["text"]
    )
    assert notice[0].args["text"] == f"{ticket.ref} is assigned to <@U0AGENT02>."
    live.settled()
    assert live.services.queries.get(ticket.id).assignee == "U0AGENT02"


def test_ticket_reaction_logs_someone_elses_message_once(live: LiveApp) -> None:
    ts = fresh_ts()
    live.slack.add_message(INTAKE, ts, "the finance system is throwing an error on month end", "U0STAFF9")
    live.sender.send_event(reaction_added_event("ticket", user=AGENT, item_channel=INTAKE, item_ts=ts))
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.sender.send_event(reaction_added_event("ticket", user="U0OTHER", item_channel=INTAKE, item_ts=ts))
    [note] = live.slack.wait_for("chat.postEphemeral")
    live.settled()
    [ticket] = live.tickets()
    assert ticket.requester == "U0STAFF9" and ticket.source == "reaction"
    assert ticket.ref in note.args["text"] and note.args["user"] == "U0OTHER"
    created = live.services.queries.history(ticket.id)[0]
    assert created.data["logged_by"] == AGENT


def test_message_shortcut_logs_the_message_for_its_author(live: LiveApp) -> None:
    ts = fresh_ts()
    response = live.sender.send_shortcut(
        "log_as_ticket",
        user_id=AGENT,
        message_ts=ts,
        message_text="can't get on the wifi in the library",
        message_user="U0STAFF7",
    )
    assert response.status == 200
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.settled()
    [ticket] = live.tickets()
    assert (ticket.requester, ticket.source) == ("U0STAFF7", "shortcut")


# -- working the ticket from the thread ------------------------------------------------------------------
def test_agent_works_a_ticket_to_resolution_and_the_requester_rates_it_once(live: LiveApp) -> None:
    ts, card = _log_message(live, "the desk phone in room 4 has no dial tone")
    [ticket] = live.tickets()
    card_ts = card.response["ts"]
    value = str(ticket.id)

    live.sender.send_action(b.RESOLVE, value, user_id=REQUESTER, message_ts=card_ts, thread_ts=ts)
    [refusal] = live.slack.wait_for("chat.postEphemeral")
    assert "agents" in refusal.args["text"] and refusal.args["user"] == REQUESTER

    live.sender.send_action(b.ASSIGN, value, user_id=AGENT, message_ts=card_ts, thread_ts=ts)
    live.slack.wait_for("chat.update", where=lambda c: c.args.get("ts") == card_ts)
    live.sender.send_action(b.RESOLVE, value, user_id=AGENT, message_ts=card_ts, thread_ts=ts)
    rating = live.slack.wait_for(
        "chat.postMessage", where=lambda c: b.RATE in json.dumps(c.args.get("blocks"))
    )
    assert rating[0].args["thread_ts"] == ts
    assert "resolved" in live.slack.message(INTAKE, card_ts)["text"]

    live.sender.send_action(b.RATE, f"{ticket.id}:up", user_id=REQUESTER, thread_ts=ts)
    [thanks] = live.slack.wait_for("response_url", where=lambda c: c.args.get("replace_original") is True)
    assert "Thank you" in thanks.args["text"]
    live.sender.send_action(b.RATE, f"{ticket.id}:down", user_id=REQUESTER, thread_ts=ts)
    live.slack.wait_for("chat.postEphemeral", count=2)
    live.settled()

    stored = live.services.queries.get(ticket.id)
    assert (stored.status, stored.resolver, stored.rating) == (Status.RESOLVED, AGENT, True)
    kinds = [e.kind for e in live.services.queries.history(ticket.id)]
    assert kinds.count(EventKind.RESOLVED) == 1 and kinds.count(EventKind.RATED) == 1
    assert contact_facts(live.services.queries.history(ticket.id)).first_contact


def test_self_help_that_fixes_it_resolves_at_first_contact(live: LiveApp) -> None:
    _ts, card = _log_message(live, "my mailbox is full and I can't send anything")
    [ticket] = live.tickets()
    assert b.SELF_HELP_FIXED in _action_ids(card.args["blocks"])
    live.sender.send_action(
        b.SELF_HELP_FIXED, str(ticket.id), user_id=REQUESTER, message_ts=card.response["ts"]
    )
    live.slack.wait_for("chat.update", where=lambda c: c.args.get("ts") == card.response["ts"])
    live.settled()
    events = live.services.queries.history(ticket.id)
    resolved = next(e for e in events if e.kind is EventKind.RESOLVED)
    assert resolved.data["resolution"] == "self_service" and resolved.actor == REQUESTER
    assert contact_facts(events).first_contact
    redrawn = live.slack.message(INTAKE, card.response["ts"])
    assert b.SELF_HELP_FIXED not in _action_ids(redrawn["blocks"]), "answered questions disappear"


def test_escalation_breaks_first_contact_and_moves_the_queue(live: LiveApp) -> None:
    _ts, card = _log_message(live, "the screen thing is odd")  # waits on the 1st line for a pick
    [ticket] = live.tickets()
    live.sender.send_action(b.ESCALATE, str(ticket.id), user_id=AGENT, message_ts=card.response["ts"])
    live.slack.wait_for("chat.postMessage", where=lambda c: "escalated" in c.args.get("text", ""))
    live.sender.send_action(b.RESOLVE, str(ticket.id), user_id=AGENT, message_ts=card.response["ts"])
    live.slack.wait_for("chat.postMessage", where=lambda c: "resolved" in c.args.get("text", ""))
    live.settled()
    facts = contact_facts(live.services.queries.history(ticket.id))
    assert facts.resolved and not facts.first_contact and facts.reasons == ("escalated",)
    assert live.services.queries.get(ticket.id).queue == "ict-2nd-line"


def test_low_confidence_asks_and_the_pick_is_stored(live: LiveApp) -> None:
    _ts, card = _log_message(live, "the screen thing is odd")
    [ticket] = live.tickets()
    assert ticket.status is Status.NEW
    picks = [e for blk in card.args["blocks"] if blk.get("type") == "actions" for e in blk["elements"]]
    values = [e["value"] for e in picks if e.get("action_id") == b.PICK]
    assert values[-1] == f"{ticket.id}:none" and len(values) >= 2
    live.sender.send_action(b.PICK, values[0], user_id=REQUESTER, message_ts=card.response["ts"])
    live.slack.wait_for("chat.update")
    live.settled()
    stored = live.services.queries.get(ticket.id)
    assert stored.status is Status.TRIAGED and stored.intent == values[0].split(":")[1]
    triaged = [e for e in live.services.queries.history(ticket.id) if e.kind is EventKind.TRIAGED]
    assert triaged[0].data["method"] == "picked" and triaged[0].actor == REQUESTER


def test_change_intent_menu_transfers_between_queues(live: LiveApp) -> None:
    _ts, _card = _log_message(live, "need a new starter account set up for monday")
    [ticket] = live.tickets()
    live.sender.send_action(b.INTENT, f"{ticket.id}:printer_problem", user_id=AGENT)
    live.slack.wait_for("chat.postMessage", where=lambda c: "Printer" in c.args.get("text", ""))
    live.settled()
    stored = live.services.queries.get(ticket.id)
    assert stored.intent == "printer_problem"
    kinds = [e.kind for e in live.services.queries.history(ticket.id)]
    assert EventKind.INTENT_CHANGED in kinds and EventKind.TRANSFERRED in kinds


def test_a_correction_in_slack_changes_the_next_triage_of_the_same_text(live: LiveApp) -> None:
    text = "the Trent login spins forever after I put my code in"
    _ts, _card = _log_message(live, text)
    [first] = live.tickets()
    assert first.intent != "line_of_business_system"
    live.sender.send_action(b.INTENT, f"{first.id}:line_of_business_system", user_id=AGENT)
    live.slack.wait_for("chat.postMessage", where=lambda c: "Line-of-business" in c.args.get("text", ""))
    live.settled()

    _ts, card = _log_message(live, text, user="U0SOMEONE2")
    second = next(t for t in live.tickets() if t.id != first.id)
    assert (second.intent, second.queue) == ("line_of_business_system", "ict-applications")
    assert second.ref in card.args["text"]
    [taught] = live.services.training.taught()
    assert (taught.ticket_id, taught.created_by, taught.source) == (first.id, AGENT, "correction")


def test_unknown_ticket_and_junk_button_values_get_a_clear_ephemeral_answer(live: LiveApp) -> None:
    live.sender.send_action(b.RESOLVE, "999", user_id=AGENT)
    live.sender.send_action(b.RESOLVE, "not-a-ticket", user_id=AGENT)
    notes = live.slack.wait_for("chat.postEphemeral", count=2)
    texts = " ".join(n.args["text"] for n in notes)
    assert "T-00999" in texts and "not-a-ticket" in texts


# -- protocol edges ----------------------------------------------------------------------------------------
def test_bad_and_stale_signatures_are_refused_with_401(live: LiveApp) -> None:
    event = message_event("printer broken", channel=INTAKE)
    assert live.sender.send_event(event, signature="v0=" + "0" * 64).status == 401
    assert live.sender.send_event(event, timestamp=int(time.time()) - 6 * 60).status == 401
    live.settled()
    assert live.ticket_count() == 0 and live.inbox() == []


def _post_raw(live: LiveApp, path: str, body: bytes, content_type: str = "application/json") -> int:
    headers = {"Content-Type": content_type, **sign(SIGNING_SECRET, body)}
    request = urllib.request.Request(live.base_url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_malformed_payloads_get_4xx_and_store_nothing(live: LiveApp) -> None:
    assert 400 <= _post_raw(live, "/slack/events", b"{not json") < 500
    assert 400 <= _post_raw(live, "/slack/events", b'{"type": "something_else"}') < 500
    assert _post_raw(live, "/nowhere", b"{}") == 404
    assert _post_raw(live, "/slack/events", b"x" * 1_000_001) == 413
    live.settled()
    assert live.ticket_count() == 0


def test_a_malformed_event_is_acknowledged_and_ignored(live: LiveApp) -> None:
    event = {"type": "message", "user": REQUESTER, "text": "no channel or ts here"}
    assert live.sender.send_event(event).status == 200
    live.settled()
    assert live.ticket_count() == 0
    assert all(r.processed_at is not None for r in live.inbox())


def test_healthz(live: LiveApp) -> None:
    with urllib.request.urlopen(live.base_url + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True, "database": "ok"}


# -- Slack misbehaving --------------------------------------------------------------------------------------
def test_rate_limited_post_is_retried_after_retry_after(live: LiveApp) -> None:
    live.slack.rate_limit_next("chat.postMessage", retry_after=1)
    ts, card = _log_message(live, "my vpn keeps disconnecting at home")
    limited = [c for c in live.slack.calls_to("chat.postMessage") if c.status == 429]
    assert len(limited) == 1
    assert live.ticket_count() == 1 and card.args["thread_ts"] == ts


def test_work_failed_by_slack_errors_is_retried_with_backoff_and_makes_one_ticket(live: LiveApp) -> None:
    live.slack.fail_next("chat.postMessage", error="service_unavailable", times=3)
    ts = fresh_ts()
    live.sender.send_event(
        message_event("the projector in the council chamber has no signal", channel=INTAKE, ts=ts)
    )
    [_card] = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.wait_until(lambda: live.inbox()[0].processed_at is not None, what="the request to be done")
    [row] = live.inbox()
    card_posts = [c for c in live.slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]
    assert [c.ok for c in card_posts][-1] is True and len(card_posts) >= 3
    assert row.attempts == len(card_posts), "each failed attempt is recorded, then the success"
    assert "could not post the card" in row.last_error
    assert live.ticket_count() == 1
    gaps = [b.at - a.at for a, b in itertools.pairwise(card_posts)]
    # Lower bounds only: a busy machine makes every gap longer, never shorter, so comparing the gaps with
    # each other would fail by chance; each must still be at least its doubled backoff (base 100 ms).
    floors = [0.1 * 2**n for n in range(len(gaps))]
    assert all(gap >= floor * 0.95 for gap, floor in zip(gaps, floors, strict=True)), (gaps, floors)


def test_a_worker_killed_in_its_sleep_does_not_stop_the_acknowledgements(tmp_path: Path) -> None:
    # The web process wakes the worker after recording each request. With a multiprocessing Event that
    # wake-up waited for the sleeping worker to wake: one killed in its sleep (the OOM killer) made every
    # acknowledgement after it hang. Now it is a signal whose set() never waits.
    with live_app(tmp_path, worker_process=True) as app:
        worker = app.worker_process
        assert worker is not None
        first = fresh_ts()
        assert (
            app.sender.send_event(
                message_event("printer offline on floor 2", channel=INTAKE, ts=first)
            ).status
            == 200
        )
        app.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == first, timeout=30)
        app.settled(timeout=30)
        time.sleep(1.0)  # idle now: asleep, waiting to be woken
        worker.process.kill()
        second = fresh_ts()
        acked = app.sender.send_event(message_event("scanner offline on floor 3", channel=INTAKE, ts=second))
        assert acked.status == 200
        app.wait_until(lambda: worker.restarts == 1, timeout=30, what="a restart")
        app.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == second, timeout=30)
        assert app.ticket_count() == 2


def test_the_production_worker_process_does_the_work_and_is_restarted_if_it_dies(tmp_path: Path) -> None:
    with live_app(tmp_path, worker_process=True) as app:
        worker = app.worker_process
        assert worker is not None
        worker.process.kill()
        app.wait_until(
            lambda: worker.restarts == 1 and worker.process.is_alive(), timeout=30, what="a restart"
        )
        ts = fresh_ts()
        assert (
            app.sender.send_event(
                message_event("wifi keeps dropping in the library", channel=INTAKE, ts=ts)
            ).status
            == 200
        )
        app.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts, timeout=30)
        app.wait_until(lambda: app.inbox()[0].processed_at is not None, timeout=30, what="the worker")
        assert app.ticket_count() == 1
