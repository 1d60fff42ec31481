"""Notices and uploads from the core through the outbox: rendered at delivery by the real sender, with the
real slack-sdk client against the fake Slack on loopback; replies land in the thread of the message they
answer, found from what Slack said when that one was sent; a held message holds its thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot
from handlers.outbox import SlackSender
from servicebot.bootstrap import Services, build_services
from servicebot.domain.message import Strong, User, say, to_data
from servicebot.domain.outbox import Notice, RetryPolicy, Status, Upload
from servicebot.runtime.outbox import Relay
from tests.conftest import make_settings
from tests.support.fake_slack import BOT_TOKEN, UPLOAD_METHOD, FakeSlack

LEAD = "C0LEADS"
OWNER = "U0OWNER"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(fake: FakeSlack, tmp_path: Path, clock: Clock) -> Iterator[Services]:
    settings = make_settings(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url)
    built = build_services(settings, clock=clock, background_training=False)
    built.outbox.policy = RetryPolicy(first=1, factor=2, cap=60, max_attempts=5)
    yield built
    built.close()


@pytest.fixture
def relay(services: Services) -> Relay:
    client = bot.slack_client(services.settings)
    return Relay(services.outbox, SlackSender(client, services.settings, services.outbox.where_sent))


def _text(message: str) -> Notice:
    return Notice("text", LEAD, {"message": to_data(say(Strong("ICT01"), f" {message} ", User(OWNER)))})


def test_a_notice_is_rendered_at_delivery_and_its_reply_lands_in_its_thread(
    services: Services, relay: Relay, fake: FakeSlack
) -> None:
    services.outbox.notify("alert:1", _text("is RED"), thread="kpi:ICT01")
    reply = Notice("text", OWNER, {"message": to_data(say("recovered"))}, reply_to="alert:1")
    services.outbox.notify("alert:1:recovered", reply, thread="kpi:ICT01")
    assert relay.run_once() == 2

    first, second = fake.posted_messages()
    assert first["channel"] == LEAD and first["text"] == f"*ICT01* is RED <@{OWNER}>"
    assert first["blocks"][0]["text"]["text"] == first["text"]
    posted = services.outbox.listed(Status.SENT)
    ts = next(m.result for m in posted if m.key == "alert:1")
    assert ts is not None
    # The reply goes where the first was posted, not to its own `to`.
    assert second["channel"] == LEAD and second["thread_ts"] == ts["ts"]


def test_a_reply_waits_for_the_message_it_answers_and_fails_with_it(
    services: Services, relay: Relay, fake: FakeSlack, clock: Clock
) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    services.outbox.notify("a", _text("first"), thread="t")
    services.outbox.notify("b", Notice("text", LEAD, {"message": ["again"]}, reply_to="a"), thread="t")
    relay.run_once()
    by_key = {m.key: m for m in services.outbox.listed()}
    assert by_key["a"].status is Status.FAILED
    assert by_key["b"].status is Status.FAILED and "(a, #" in (by_key["b"].last_error or "")
    # A person retries both: the first is sent, then the reply goes into its thread.
    services.outbox.retry()
    assert relay.run_once() == 2
    _first, second = fake.posted_messages()
    assert second["thread_ts"] == first_ts(services, "a")


def first_ts(services: Services, key: str) -> str:
    [message] = [m for m in services.outbox.listed(Status.SENT) if m.key == key]
    assert message.result is not None
    return str(message.result["ts"])


def test_a_held_message_waits_for_its_time_and_holds_its_thread_but_no_other(
    services: Services, relay: Relay, fake: FakeSlack, clock: Clock
) -> None:
    morning = clock.now + timedelta(hours=10)
    services.outbox.notify("held", _text("at night"), thread="kpi:CS01", not_before=morning)
    services.outbox.notify("after", _text("after it"), thread="kpi:CS01")
    services.outbox.notify("other", _text("elsewhere"), thread="kpi:CS02")
    assert relay.run_once() == 1
    assert [m["text"] for m in fake.posted_messages()] == [f"*ICT01* elsewhere <@{OWNER}>"]
    clock.now = morning
    assert relay.run_once() == 2
    assert [m["text"].split()[1] for m in fake.posted_messages()] == ["elsewhere", "at", "after"]


def test_a_notice_of_an_unknown_kind_or_broken_data_waits_for_a_person(
    services: Services, relay: Relay, fake: FakeSlack
) -> None:
    services.outbox.notify("x", Notice("no-such-kind", LEAD, {}), thread="x")
    services.outbox.notify("y", Notice("text", LEAD, {"message": [{"bold": "?"}]}), thread="y")
    relay.run_once()
    errors = {m.key: m.last_error for m in services.outbox.listed(Status.FAILED)}
    assert errors["x"] == "no way to show a notice of kind 'no-such-kind' in Slack"
    assert "not a stored span" in (errors["y"] or "")
    assert fake.posted_messages() == []


def test_an_upload_goes_into_the_thread_once_after_the_upload_url_failed(
    services: Services, relay: Relay, fake: FakeSlack, clock: Clock
) -> None:
    services.outbox.notify("stats:1", _text("stats"), thread="slack:D1:")
    upload = Upload(LEAD, "ICT01.png", "ICT01 trend", PNG, comment="the last 12 months", reply_to="stats:1")
    services.outbox.upload("stats:1:chart", upload, thread="slack:D1:")
    fake.server_error_next(UPLOAD_METHOD, status=503)
    assert relay.run_once() == 1
    [waiting] = services.outbox.listed(Status.PENDING)
    assert waiting.key == "stats:1:chart" and "HTTP 503" in (waiting.last_error or "")
    assert fake.uploaded_files() == []

    clock.now += timedelta(seconds=5)
    assert relay.run_once() == 1
    [shared] = fake.uploaded_files()
    assert shared.content == PNG and shared.title == "ICT01 trend"
    assert shared.thread_ts == first_ts(services, "stats:1") and shared.channel_id == LEAD
    assert relay.run_once() == 0 and len(fake.uploaded_files()) == 1


def test_an_upload_refused_for_good_is_failed_not_retried(
    services: Services, relay: Relay, fake: FakeSlack
) -> None:
    services.outbox.upload("u", Upload(LEAD, "a.png", "a", PNG), thread="u")
    fake.fail_next("files.getUploadURLExternal", error="invalid_auth")
    relay.run_once()
    [failed] = services.outbox.listed(Status.FAILED)
    assert failed.last_error == "files_upload_v2: invalid_auth"


def test_a_reply_to_a_message_that_was_itself_a_reply_goes_under_the_threads_parent(
    services: Services, relay: Relay, fake: FakeSlack
) -> None:
    parent = fake_parent(fake)
    services.outbox.send(
        "answer", "chat.postMessage", {"channel": LEAD, "text": "an answer", "thread_ts": parent}, thread="t"
    )
    services.outbox.notify("more", Notice("text", LEAD, {"message": ["more"]}, reply_to="answer"), thread="t")
    assert relay.run_once() == 2
    _answer, more = fake.posted_messages()
    assert more["thread_ts"] == parent


def fake_parent(fake: FakeSlack) -> str:
    """A message someone posted in the channel, whose thread the bot answers in."""
    ts = "1764500000.000100"
    fake.add_message(LEAD, ts, "how are we doing this month?", "U0LEAD")
    return ts
