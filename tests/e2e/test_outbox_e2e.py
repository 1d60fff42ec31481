"""The outbox end to end: the real relay, the real slack-sdk client as production configures it, and the fake
Slack Web API on loopback answering 429 and 500 for a while. Messages are delayed, never lost, never sent
twice, and a ticket's messages keep their order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

import bot
from handlers import blocks as b
from handlers.outbox import SlackSender
from servicebot.bootstrap import build_services
from servicebot.domain.outbox import GiveUp, RetryPolicy, Sent, Status, TryAgain
from tests.conftest import AGENT, database_url, make_settings
from tests.support.cli import servicebot
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import fresh_ts, message_event

INTAKE = "C0ICTHELP"
REQUESTER = "U0REQUESTER"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def client(fake: FakeSlack, tmp_path: Path) -> WebClient:
    # The client production builds: the SDK's own retry handlers for connection blips and short 429s.
    return bot.slack_client(make_settings(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url))


def test_the_sender_says_what_each_answer_means(fake: FakeSlack, client: WebClient) -> None:
    sender = SlackSender(client)
    sent = sender.deliver("chat.postMessage", {"channel": "C1", "text": "hello"})
    assert isinstance(sent, Sent) and sent.result["channel"] == "C1" and sent.result["ts"]

    # A 429 comes back at once with Slack's Retry-After (30 s here): the relay waits for it, not the call.
    fake.rate_limit_next("chat.postMessage", retry_after=30, times=1)
    limited = sender.deliver("chat.postMessage", {"channel": "C1", "text": "hello"})
    assert limited == TryAgain("chat.postMessage: rate limited", retry_after=30.0)
    assert len(fake.calls_to("chat.postMessage")) == 1 + 1
    # The client production builds still waits out a 429 inside its other calls.
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers)

    fake.server_error_next("chat.update", status=503, times=1)
    assert sender.deliver("chat.update", {"channel": "C1", "ts": "1", "text": "x"}) == TryAgain(
        "chat.update: fatal_error"
    )
    fake.fail_next("chat.postMessage", error="channel_not_found")
    assert sender.deliver("chat.postMessage", {"channel": "C9", "text": "x"}) == GiveUp(
        "chat.postMessage: channel_not_found"
    )


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        # Production waits seconds to minutes between tries; the same rules on a shorter scale here.
        app.services.outbox.policy = RetryPolicy(first=0.05, factor=2, cap=0.4, max_attempts=30)
        yield app


def test_slack_failing_for_a_while_delays_a_tickets_messages_but_loses_and_repeats_none(
    live: LiveApp,
) -> None:
    ts = fresh_ts()
    assert (
        live.sender.send_event(
            message_event("my monitor flickers all day", user=REQUESTER, channel=INTAKE, ts=ts)
        ).status
        == 200
    )
    card = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)[0]
    live.settled()
    [ticket] = live.tickets()
    card_ts = card.response["ts"]

    # From here Slack is in trouble: server errors on updates, rate limits on posts, more than the SDK's
    # own retries absorb, so the outbox must carry them across several tries.
    live.slack.server_error_next("chat.update", status=500, times=6)
    live.slack.rate_limit_next("chat.postMessage", retry_after=1, times=9)
    live.sender.send_action(b.ASSIGN, str(ticket.id), user_id=AGENT, message_ts=card_ts, thread_ts=ts)
    live.sender.send_action(b.RESOLVE, str(ticket.id), user_id=AGENT, message_ts=card_ts, thread_ts=ts)
    live.settled()
    live.wait_until(
        lambda: live.services.outbox.counts()[Status.PENDING] == 0, timeout=60, what="the outbox to drain"
    )

    counts = live.services.outbox.counts()
    assert counts == {Status.PENDING: 0, Status.SENT: counts[Status.SENT], Status.FAILED: 0}
    sent = sorted(live.services.outbox.listed(Status.SENT), key=lambda m: m.id)
    # Each change redraws both cards (the requester's thread and the desk's triage channel), then tells the
    # thread; the rating is asked once.
    assert [m.key.split(":")[0] for m in sent] == [
        "card",
        "card",
        "notice",
        "card",
        "card",
        "notice",
        "rating-ask",
    ]
    assert any(m.attempts > 1 for m in sent), "Slack's errors were carried across tries"

    # Exactly once each on Slack's side, in the order they were recorded.
    delivered_updates = [c for c in live.slack.calls_to("chat.update") if c.ok and c.args["ts"] == card_ts]
    assert len(delivered_updates) == 2
    assert "resolved" in delivered_updates[-1].args["text"]
    in_thread = [
        c for c in live.slack.calls_to("chat.postMessage") if c.ok and c.args.get("thread_ts") == ts
    ][1:]  # after the card
    assert len(in_thread) == 3
    assert b.RATE in json.dumps(in_thread[2].args.get("blocks"))
    assert [c.at for c in in_thread] == sorted(c.at for c in in_thread)
    assert "resolved" in live.slack.message(INTAKE, card_ts)["text"]

    # A replayed request (Slack's retry) records nothing new and sends nothing again.
    before = len(live.slack.calls)
    live.sender.send_action(b.RESOLVE, str(ticket.id), user_id=AGENT, message_ts=card_ts, thread_ts=ts)
    live.settled()
    live.wait_until(lambda: live.services.outbox.counts()[Status.PENDING] == 0, what="the outbox to settle")
    assert live.services.outbox.counts()[Status.SENT] == counts[Status.SENT]
    assert all(c.method not in ("chat.update",) for c in live.slack.calls[before:])


def test_outbox_list_and_retry_from_the_command_line(tmp_path: Path) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    settings = make_settings(tmp_path, SERVICEBOT_DATABASE_URL=database_url(tmp_path, "console"))
    services = build_services(settings, background_training=False)
    try:
        services.outbox.send("notice:1:v2", "chat.postMessage", {"channel": "C404", "text": "x"}, thread="t")
        [message] = services.outbox.due()
        services.outbox.settle(message, GiveUp("chat.postMessage: channel_not_found"))
    finally:
        services.close()

    listed = servicebot(tmp_path, "outbox", "list", "--status", "failed")
    assert listed.returncode == 0, listed.stderr
    assert "0 pending, 0 sent, 1 failed" in listed.stdout
    assert "failed after 1 tries" in listed.stdout and "notice:1:v2" in listed.stdout
    assert "last error: chat.postMessage: channel_not_found" in listed.stdout
    as_json = json.loads(servicebot(tmp_path, "outbox", "list", "--format", "json").stdout)
    assert as_json[0]["status"] == "failed" and as_json[0]["channel"] == "C404"

    both = servicebot(tmp_path, "outbox", "retry", "1", "--failed")
    assert both.returncode == 2 and "not both" in both.stderr and "Traceback" not in both.stderr
    missing = servicebot(tmp_path, "outbox", "retry", "7")
    assert missing.returncode == 1 and "no outbox message #7" in missing.stderr

    retried = servicebot(tmp_path, "outbox", "retry", "--failed")
    assert retried.returncode == 0 and "1 message(s) will be sent again by the worker: #1" in retried.stdout
    again = json.loads(servicebot(tmp_path, "outbox", "list", "--format", "json").stdout)
    assert again[0]["status"] == "pending" and again[0]["attempts"] == 0


def test_a_worker_that_dies_with_messages_waiting_sends_each_once_after_its_restart(tmp_path: Path) -> None:
    with live_app(tmp_path, worker_process=True) as app:
        worker = app.worker_process
        assert worker is not None
        ts = fresh_ts()
        assert (
            app.sender.send_event(
                message_event("the scanner on floor 3 is offline", channel=INTAKE, ts=ts)
            ).status
            == 200
        )
        card = app.slack.wait_for(
            "chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts, timeout=30
        )[0]
        app.settled(timeout=30)
        [ticket] = app.tickets()

        # Slack fails the redraws' first tries; the relay schedules them again (production's 2 s), and the
        # worker is killed meanwhile, as a crash or a deploy would.
        app.slack.server_error_next("chat.update", status=500, times=2)
        app.sender.send_action(
            b.ASSIGN, str(ticket.id), user_id=AGENT, message_ts=card.response["ts"], thread_ts=ts
        )
        app.wait_until(
            lambda: any(c.fault == "server_error" for c in app.slack.calls_to("chat.update")),
            timeout=30,
            what="a failed first try",
        )
        worker.process.kill()
        app.wait_until(
            lambda: worker.restarts == 1 and worker.process.is_alive(), timeout=30, what="a restart"
        )
        app.wait_until(
            lambda: app.services.outbox.counts()[Status.PENDING] == 0, timeout=60, what="the outbox to drain"
        )
        assert app.services.outbox.counts()[Status.FAILED] == 0
        updates = [c for c in app.slack.calls_to("chat.update") if c.ok]
        assert sorted(c.args["channel"] for c in updates) == sorted({c.args["channel"] for c in updates})
        assert len(updates) == 2  # each card redrawn once, whatever the crash
        notices = [
            c for c in app.slack.calls_to("chat.postMessage") if c.ok and c.args.get("thread_ts") == ts
        ][1:]
        assert len(notices) == 1
