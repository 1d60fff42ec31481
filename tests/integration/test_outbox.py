"""The outbox and its relay on a real database: recorded once, delivered in order within a thread,
retried on time, given up on for good errors, and shown and retried for people."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from servicebot.bootstrap import Services
from servicebot.domain.errors import InvalidInput, NotFound
from servicebot.domain.outbox import Attempt, GiveUp, Sent, Status, TryAgain
from servicebot.runtime.outbox import Relay
from tests.conftest import Clock


class ScriptedSlack:
    """Slack as the relay sees it: answers scripted per message text, every call recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.script: dict[str, list[Attempt]] = {}
        self.ts = 0

    def deliver(self, method: str, payload: dict[str, Any], **_: Any) -> Attempt:
        self.calls.append((method, payload))
        planned = self.script.get(payload["text"])
        if planned:
            return planned.pop(0)
        self.ts += 1
        return Sent({"channel": payload["channel"], "ts": f"1700.{self.ts:04d}"})

    def texts(self) -> list[str]:
        return [payload["text"] for _, payload in self.calls]


@pytest.fixture
def slack() -> Iterator[ScriptedSlack]:
    yield ScriptedSlack()


def _send(services: Services, key: str, thread: str = "ticket:1") -> bool:
    return services.outbox.send(key, "chat.postMessage", {"channel": "C1", "text": key}, thread=thread)


def test_a_message_recorded_twice_is_sent_once(services: Services, slack: ScriptedSlack) -> None:
    assert _send(services, "a") is True
    assert _send(services, "a") is False
    relay = Relay(services.outbox, slack)
    assert relay.run_once() == 1
    assert relay.run_once() == 0
    assert slack.texts() == ["a"]
    (sent,) = services.outbox.listed(Status.SENT)
    assert sent.result == {"channel": "C1", "ts": "1700.0001"} and sent.attempts == 1


def test_a_thread_keeps_its_order_while_a_message_waits_and_other_threads_go_on(
    services: Services, slack: ScriptedSlack, clock: Clock
) -> None:
    slack.script["first"] = [TryAgain("chat.postMessage: rate limited", retry_after=30)]
    for key in ("first", "second", "third"):
        _send(services, key, thread="ticket:1")
    _send(services, "elsewhere", thread="ticket:2")
    relay = Relay(services.outbox, slack)
    assert relay.run_once() == 1
    assert slack.texts() == ["first", "elsewhere"]  # "second" and "third" wait behind "first"
    clock.advance(seconds=29)
    assert relay.run_once() == 0 and len(slack.calls) == 2  # Slack said 30 s
    clock.advance(seconds=1)
    assert relay.run_once() == 3
    assert slack.texts() == ["first", "elsewhere", "first", "second", "third"]


def test_a_message_slack_refuses_for_good_fails_at_once_and_does_not_hold_its_thread(
    services: Services, slack: ScriptedSlack
) -> None:
    slack.script["bad"] = [GiveUp("chat.postMessage: channel_not_found")]
    _send(services, "bad")
    _send(services, "next")
    relay = Relay(services.outbox, slack)
    relay.run_once()
    relay.run_once()
    assert slack.texts() == ["bad", "next"]
    (failed,) = services.outbox.listed(Status.FAILED)
    assert failed.key == "bad" and failed.attempts == 1
    assert failed.last_error == "chat.postMessage: channel_not_found"


def test_it_gives_up_after_the_policys_tries_and_a_person_can_retry(
    services: Services, slack: ScriptedSlack, clock: Clock
) -> None:
    tries = services.outbox.policy.max_attempts
    slack.script["down"] = [TryAgain("chat.postMessage: fatal_error")] * tries
    _send(services, "down")
    relay = Relay(services.outbox, slack)
    for _ in range(tries):
        relay.run_once()
        clock.advance(hours=1)
    assert len(slack.calls) == tries
    (failed,) = services.outbox.listed(Status.FAILED)
    assert failed.last_error == f"chat.postMessage: fatal_error (gave up after {tries} tries)"
    assert relay.run_once() == 0 and len(slack.calls) == tries  # nobody sends a failed message
    assert services.outbox.retry([failed.id]) == [failed.id]
    assert relay.run_once() == 1
    (sent,) = services.outbox.listed(Status.SENT)
    assert sent.id == failed.id and sent.attempts == 1  # tries counted afresh


def test_retry_names_what_it_cannot_retry_and_then_retries_nothing(
    services: Services, slack: ScriptedSlack
) -> None:
    slack.script["bad"] = [GiveUp("chat.postMessage: channel_not_found")]
    _send(services, "bad")
    _send(services, "good", thread="ticket:2")
    Relay(services.outbox, slack).run_once()
    failed = services.outbox.listed(Status.FAILED)[0].id
    sent = services.outbox.listed(Status.SENT)[0].id
    with pytest.raises(NotFound, match="no outbox message #999"):
        services.outbox.retry([failed, 999])
    with pytest.raises(InvalidInput, match=f"#{sent} is sent"):
        services.outbox.retry([failed, sent])
    assert services.outbox.listed(Status.FAILED)[0].id == failed  # untouched
    assert services.outbox.retry() == [failed]


def test_a_sender_that_raises_does_not_stop_the_relay(services: Services, clock: Clock) -> None:
    class Broken:
        def deliver(self, method: str, payload: dict[str, Any], **_: Any) -> Attempt:
            raise RuntimeError("boom")

    _send(services, "a")
    relay = Relay(services.outbox, Broken())
    assert relay.run_once() == 0
    (waiting,) = services.outbox.listed(Status.PENDING)
    assert waiting.attempts == 1 and waiting.last_error == "RuntimeError: boom"
    assert waiting.next_attempt_at == clock.now + timedelta(seconds=services.outbox.policy.first)


def test_a_new_relay_after_a_restart_sends_only_what_was_not_sent(
    services: Services, slack: ScriptedSlack
) -> None:
    _send(services, "a")
    Relay(services.outbox, slack).run_once()
    _send(services, "b")
    Relay(services.outbox, slack).run_once()  # a new relay, as after a restart: the outbox is the state
    assert slack.texts() == ["a", "b"]


def test_keys_and_threads_are_bounded(services: Services) -> None:
    with pytest.raises(ValueError, match="1 to 200 characters"):
        services.outbox.send("", "chat.postMessage", {}, thread="t")
    with pytest.raises(ValueError, match="1 to 200 characters"):
        services.outbox.send("k" * 201, "chat.postMessage", {}, thread="t")


def test_a_pass_ends_early_when_slack_keeps_failing_and_the_rest_wait_their_turn(
    services: Services, slack: ScriptedSlack, clock: Clock
) -> None:
    for n in range(6):
        slack.script[f"m{n}"] = [TryAgain("chat.postMessage: fatal_error")]
        _send(services, f"m{n}", thread=f"ticket:{n}")
    relay = Relay(services.outbox, slack, give_up_pass_after=3)
    assert relay.run_once() == 0
    assert slack.texts() == ["m0", "m1", "m2"]  # Slack is down: three tries in a row, then stop
    assert relay.run_once() == 0 and slack.texts() == ["m0", "m1", "m2", "m3", "m4", "m5"]
    clock.advance(hours=1)
    assert relay.run_once() == 6  # Slack is back: every one goes, once
    assert sorted(slack.texts()[6:]) == [f"m{n}" for n in range(6)]
