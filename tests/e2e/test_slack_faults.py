"""Slack in trouble, end to end: the real HTTP app, the real worker and relay, the real slack-sdk client
against the fake Slack on loopback, which answers 429 storms with Retry-After, 500s, requests held past the
client's timeout and connections closed without an answer. Acknowledgements and the work go on meanwhile;
once Slack is well, every message has arrived exactly once, in order within its thread, and none is lost.

What Slack received is counted on Slack's side (the fake's record of calls), not from our own bookkeeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from handlers import blocks as b
from handlers.outbox import RELAY_TIMEOUT, SlackSender
from servicebot.domain.outbox import RetryPolicy, Status, TryAgain
from tests.conftest import AGENT
from tests.support.fake_slack import Call
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import fresh_ts, message_event

INTAKE = "C0ICTHELP"
REQUESTER = "U0REQUESTER"
# The client's timeout in these tests (production: 10 s, and the relay's RELAY_TIMEOUT); a hang outlasts it.
TIMEOUT = 1
HANG = 2.0


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path, client_timeout=TIMEOUT) as app:
        app.services.outbox.policy = RetryPolicy(first=0.05, factor=2, cap=0.4, max_attempts=1000)
        yield app


def _new_ticket(live: LiveApp, text: str) -> tuple[int, str, str]:
    """A ticket from a message in the intake channel: (id, the message's ts, the card's ts)."""
    ts = fresh_ts()
    assert live.sender.send_event(message_event(text, user=REQUESTER, channel=INTAKE, ts=ts)).status == 200
    card = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts, timeout=30)
    live.settled(timeout=30)
    [ticket] = [t for t in live.tickets() if t.text == text]
    return ticket.id, ts, card[0].response["ts"]


def _delivered(live: LiveApp, method: str) -> list[Call]:
    return [c for c in live.slack.calls_to(method) if c.ok]


def _wait_for_fault(live: LiveApp, kind: str, count: int = 1) -> None:
    live.wait_until(
        lambda: sum(1 for c in live.slack.calls if c.fault == kind) >= count,
        timeout=60,
        what=f"{count} call(s) to meet the {kind} fault",
    )


def test_every_message_arrives_once_in_order_after_429s_500s_hangs_and_resets(live: LiveApp) -> None:
    tickets = [_new_ticket(live, f"monitor {n} flickers all day") for n in range(3)]
    cards_before = len(_delivered(live, "chat.postMessage"))

    # Slack goes wrong: every update meets a 500, every post a 429 with Retry-After.
    live.slack.down("chat.update", "server_error")
    live.slack.down("chat.postMessage", "rate_limit", retry_after=1)
    for ticket_id, ts, card_ts in tickets:
        for action in (b.ASSIGN, b.RESOLVE):
            answer = live.sender.send_action(
                action, str(ticket_id), user_id=AGENT, message_ts=card_ts, thread_ts=ts
            )
            assert answer.status == 200  # acknowledged while Slack is down
    # The work goes on meanwhile: each ticket is resolved in the database before Slack hears of it.
    live.wait_until(
        lambda: all(t.status == "resolved" for t in live.tickets()), timeout=30, what="tickets resolved"
    )
    _wait_for_fault(live, "server_error", 2)
    # A ticket's messages keep their order, so its notices wait behind its cards: a 429 storm on them.
    live.slack.down("chat.update", "rate_limit", retry_after=1)
    _wait_for_fault(live, "rate_limit", 2)

    # Then it hangs past the client's timeout, then closes connections without an answer.
    live.slack.down("chat.update", "hang", seconds=HANG)
    live.slack.down("chat.postMessage", "hang", seconds=HANG)
    _wait_for_fault(live, "hang", 2)
    # A new request arrives while Slack hangs: acknowledged at once, its ticket made; its card waits.
    late_ts = fresh_ts()
    late = message_event("the scanner on floor 2 is offline", user=REQUESTER, channel=INTAKE, ts=late_ts)
    assert live.sender.send_event(late).status == 200
    live.wait_until(lambda: len(live.tickets()) == 4, timeout=30, what="the late ticket to be made")

    live.slack.down("chat.update", "reset")
    live.slack.down("chat.postMessage", "reset")
    _wait_for_fault(live, "reset", 6)  # more than the SDK's own two retries of a dropped connection

    pending = live.services.outbox.counts()[Status.PENDING]
    assert pending > 0, "messages were waiting while Slack was down"
    live.slack.clear_faults()
    live.wait_until(
        lambda: live.services.outbox.counts()[Status.PENDING] == 0, timeout=90, what="the outbox to drain"
    )
    live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == late_ts, timeout=60)
    live.settled(timeout=60)

    counts = live.services.outbox.counts()
    assert counts[Status.FAILED] == 0
    sent = sorted(live.services.outbox.listed(Status.SENT, limit=1000), key=lambda m: m.id)

    # Exactly once: each outbox message matches one successful call on Slack's side, and no call twice.
    updates = _delivered(live, "chat.update")
    posts = _delivered(live, "chat.postMessage")[cards_before:]
    assert len(updates) == sum(1 for m in sent if m.method == "chat.update")
    assert not _repeated(updates, ("channel", "ts", "text"))
    assert not _repeated(posts, ("channel", "thread_ts", "text"))

    for _, ts, card_ts in tickets:
        # The requester's card was redrawn once per change (assigned, resolved), the last one resolved.
        on_card = [c for c in updates if c.args["ts"] == card_ts]
        assert len(on_card) == 2 and "resolved" in on_card[-1].args["text"]
        assert "resolved" in str(live.slack.message(INTAKE, card_ts))
        # The thread heard the notices and the rating question once each, in the order they were recorded.
        in_thread = [c for c in posts if c.args.get("thread_ts") == ts]
        recorded = [m for m in sent if m.method == "chat.postMessage" and m.payload.get("thread_ts") == ts]
        assert [c.args["text"] for c in in_thread] == [m.payload["text"] for m in recorded]
        assert len(in_thread) == 3 and b.RATE in str(in_thread[-1].args.get("blocks"))
        assert [c.at for c in in_thread] == sorted(c.at for c in in_thread)

    # The late ticket's card went up once, in its requester's thread.
    assert len([c for c in _delivered(live, "chat.postMessage") if c.args.get("thread_ts") == late_ts]) == 1
    assert any(m.attempts > 1 for m in sent), "Slack's errors were carried across tries"


def _repeated(calls: list[Call], keys: tuple[str, ...]) -> list[Any]:
    seen = Counter(tuple(str(c.args.get(k)) for k in keys) for c in calls)
    return [key for key, n in seen.items() if n > 1]


def test_the_relay_waits_for_an_answer_no_longer_than_its_own_timeout(live: LiveApp) -> None:
    client = live.slack_app.context.client
    client.timeout = 10  # the bot's other calls wait as long as ever
    sender = SlackSender(client)
    assert sender.client.timeout == RELAY_TIMEOUT < client.timeout
    sender.client.timeout = TIMEOUT
    live.slack.hang_next("chat.postMessage", seconds=HANG)
    attempt = sender.deliver("chat.postMessage", {"channel": "C1", "text": "hello"})
    assert isinstance(attempt, TryAgain) and "timed out" in attempt.error
    # Slack recorded it once it gave up holding it: one call, never answered, never done.
    live.wait_until(lambda: live.slack.calls_to("chat.postMessage"), what="the held call to end")
    assert [c.fault for c in live.slack.calls_to("chat.postMessage")] == ["hang"]
    assert live.slack.posted_messages() == []


def test_a_post_slack_made_but_answered_too_late_is_not_posted_again(live: LiveApp) -> None:
    """A timeout is not a refusal: Slack may have posted the message. The next try looks for it (by the
    outbox key it carries as message metadata) before posting, in a thread and in a channel."""
    ticket_id, ts, card_ts = _new_ticket(live, "my docking station is dead")
    # Slack posts the notice, but answers only after the client has stopped waiting.
    live.slack.delay_next("chat.postMessage", seconds=TIMEOUT + 0.5)
    live.sender.send_action(b.ASSIGN, str(ticket_id), user_id=AGENT, message_ts=card_ts, thread_ts=ts)
    # And a message of its own into a channel (as a digest or an alert is), answered too late as well.
    live.services.outbox.send(
        "digest:test:1", "chat.postMessage", {"channel": "C0ICTLEADS", "text": "digest"}, thread="digest"
    )
    live.slack.delay_next("chat.postMessage", seconds=TIMEOUT + 0.5)
    live.settled()
    live.wait_until(
        lambda: live.services.outbox.counts()[Status.PENDING] == 0, timeout=60, what="the outbox to drain"
    )
    live.wait_until(
        lambda: len([c for c in live.slack.calls_to("chat.postMessage") if c.fault == "delay"]) == 2,
        what="both late answers",
    )
    in_thread = [
        c.args["text"] for c in _delivered(live, "chat.postMessage") if c.args.get("thread_ts") == ts
    ]
    assert len(in_thread) == 2 and len(set(in_thread)) == 2, in_thread  # the card, then one notice
    assert [
        c.args["text"] for c in _delivered(live, "chat.postMessage") if c.args["channel"] == "C0ICTLEADS"
    ] == ["digest"]
    assert live.slack.calls_to("conversations.replies") and live.slack.calls_to("conversations.history")
    sent = {m.key: m for m in live.services.outbox.listed(Status.SENT, limit=100)}
    assert sent["digest:test:1"].attempts == 2 and sent["digest:test:1"].result["ts"]


def test_a_new_tickets_card_slack_made_but_answered_too_late_is_not_posted_again(live: LiveApp) -> None:
    """The card goes up directly (not through the outbox). Slack posts it but answers too late; the request
    is done again later, and looks for the card (by the key it carries) before posting it."""
    # The replay comes after Slack has finished with the first post (production: 5 s, then 10 s, …).
    live.services.inbox.retry_base = timedelta(seconds=TIMEOUT + 1)
    ts = fresh_ts()
    live.slack.delay_next("chat.postMessage", seconds=TIMEOUT + 0.5)
    event = message_event("the projector in room 4 has no signal", user=REQUESTER, channel=INTAKE, ts=ts)
    assert live.sender.send_event(event).status == 200
    live.wait_until(
        lambda: all(r.processed_at is not None for r in live.inbox()), timeout=60, what="the request done"
    )
    cards = [c for c in _delivered(live, "chat.postMessage") if c.args.get("thread_ts") == ts]
    assert len(cards) == 1
    [ticket] = live.tickets()
    assert (INTAKE, cards[0].response["ts"], "card") in live.services.messages.messages_of(ticket.id)
    # The triage channel's copy went up once too.
    copies = [c for c in _delivered(live, "chat.postMessage") if c.args["channel"] == "C0ICTTRIAGE"]
    assert len(copies) == 1


def test_a_card_posted_is_not_posted_again_when_its_triage_copy_gets_no_answer(live: LiveApp) -> None:
    """The card goes up, its copy in the triage channel meets dropped connections (past the SDK's own two
    retries), so the request fails and is done again: the card is kept, and not posted a second time."""
    live.services.inbox.retry_base = timedelta(seconds=TIMEOUT + 1)
    ts = fresh_ts()
    live.slack.reset_next("chat.postMessage", times=3, channel="C0ICTTRIAGE")
    event = message_event("my headset crackles", user=REQUESTER, channel=INTAKE, ts=ts)
    assert live.sender.send_event(event).status == 200
    live.wait_until(
        lambda: [r for r in live.inbox() if r.processed_at is not None], timeout=60, what="the request done"
    )
    assert [
        c.fault for c in live.slack.calls_to("chat.postMessage") if c.args["channel"] == "C0ICTTRIAGE"
    ] == [
        "reset",
        "reset",
        "reset",
        None,
    ]
    assert len([c for c in _delivered(live, "chat.postMessage") if c.args.get("thread_ts") == ts]) == 1
    assert len([c for c in _delivered(live, "chat.postMessage") if c.args["channel"] == "C0ICTTRIAGE"]) == 1
