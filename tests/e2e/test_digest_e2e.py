"""Digests delivered to the fake Slack on loopback with the real slack-sdk client: fired by the real
APScheduler loop (stepped on a test clock) and sent by the real relay and sender, the monthly dashboard's
file into the digest's thread; and the real `servicebot serve` process sending a digest that fell due
while it was down, once, marked late."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import bot
from handlers.outbox import SlackSender
from servicebot.bootstrap import build_services
from servicebot.config import DigestSpec, Settings
from servicebot.domain.outbox import Status
from servicebot.runtime.outbox import Relay
from servicebot.runtime.scheduler import DigestScheduler, stored_jobs
from tests.conftest import EXAMPLE_CONFIG, Clock, make_settings
from tests.support.cli import SERVICEBOT, cli_env, servicebot
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.live_app import SIGNING_SECRET
from tests.support.scheduler_clock import SteppedScheduler, apscheduler_clock

LEADS = "C0ICTLEADS"


def _spec(name: str, cron: str, content: str, **changes: Any) -> DigestSpec:
    fields: dict[str, Any] = {
        "name": name,
        "cron": cron,
        "timezone": "Europe/London",
        "desk": "ict",
        "channel": LEADS,
        "content": content,
    }
    fields.update(changes)
    return DigestSpec(**fields)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def test_the_scheduler_fires_and_the_relay_delivers_the_digest_and_its_file_into_its_thread(
    tmp_path: Path, fake: FakeSlack
) -> None:
    clock = Clock(datetime(2026, 12, 2, 8, 0, tzinfo=UTC))  # Wednesday 2 December
    digests = (
        _spec("ict-morning", "30 8 * * mon-fri", "alert_digest"),
        _spec("ict-monthly", "0 9 2 * *", "monthly_dashboard", working_days_only=False),
    )
    settings = make_settings(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url)
    settings = settings.model_copy(update={"digests": digests})
    services = build_services(settings, clock=clock, background_training=False)
    relay = Relay(
        services.outbox, SlackSender(bot.slack_client(settings), settings, services.outbox.where_sent)
    )
    with apscheduler_clock(clock):
        scheduler = DigestScheduler(
            services.digests, services.db.engine, digests, scheduler=SteppedScheduler(), threaded=False
        )
        scheduler.start()
        try:
            for minutes in (30, 45, 60, 75):  # 08:30, 08:45, 09:00, 09:15
                clock.now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
                scheduler.scheduler.step()
                relay.run_once()
        finally:
            scheduler.shutdown()
            services.close()
    morning, monthly = fake.posted_messages()
    assert morning["channel"] == LEADS
    assert morning["text"] == "ICT Service Desk: alert digest, Wed 2 Dec 2026"
    assert morning["blocks"][0]["type"] == "header"
    assert "*Open outages*\n_none: every service is up_" in [
        b["text"]["text"] for b in morning["blocks"] if b["type"] == "section"
    ]
    assert monthly["text"] == "ICT Service Desk: monthly dashboard, Wed 2 Dec 2026"
    (shared,) = fake.uploaded_files()
    assert shared.filename == "dashboard-ict-2026-11.html"
    assert shared.content.startswith(b"<!DOCTYPE html>") or b"<html" in shared.content[:500]
    assert shared.channel_id == LEADS and shared.thread_ts == monthly_ts(fake, monthly)


def monthly_ts(fake: FakeSlack, posted: dict[str, Any]) -> str:
    [call] = [c for c in fake.calls_to("chat.postMessage") if c.ok and c.args.get("text") == posted["text"]]
    return str(call.response["ts"])


LISTENING = re.compile(r"^ServiceBot: listening on 127\.0\.0\.1:(\d+): ")


def test_the_serving_process_sends_a_digest_missed_while_it_was_down_once_marked_late(
    tmp_path: Path, fake: FakeSlack
) -> None:
    # Wall-clock time: the serving process runs APScheduler's own thread on the real clock. The digest was
    # due ten minutes ago; the job store says so, as it would after the bot was down over that minute.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = now - timedelta(minutes=10)
    spec = {
        "name": "ict-morning",
        "cron": f"{due.minute} {due.hour} * * *",
        "timezone": "UTC",
        "desk": "ict",
        "channel": LEADS,
        "content": "alert_digest",
        "working_days_only": False,
    }
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["digests"] = [spec]
    config_path = tmp_path / "servicebot.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {"SERVICEBOT_CONFIG": str(config_path)}
    assert servicebot(tmp_path, "db", "upgrade", **env).returncode == 0
    settings = make_settings(
        tmp_path,
        SERVICEBOT_CONFIG=str(config_path),
        SERVICEBOT_DATABASE_URL=cli_env(tmp_path)["SERVICEBOT_DATABASE_URL"],
    )
    _ran_before(settings, before=due - timedelta(minutes=5))
    waiting = servicebot(tmp_path, "schedule", "list", **env).stdout
    assert "stored in the job store: yes, waiting for " in waiting, waiting
    assert "(already due: sent late when the scheduler starts, if within its grace)" in waiting, waiting

    process = _serve(tmp_path, fake, env)
    try:
        (call,) = fake.wait_for(
            "chat.postMessage", timeout=90, where=lambda c: c.args.get("channel") == LEADS
        )
        blocks = call.args["blocks"]
        assert blocks[1]["elements"][0]["text"].startswith(f":hourglass: late: due {due:%H:%M}, sent ")
        listed = servicebot(tmp_path, "schedule", "list", **env)
        assert "stored in the job store: yes" in listed.stdout, listed
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert process.returncode == 0
    assert len([c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == LEADS]) == 1
    outbox = servicebot(tmp_path, "outbox", "list", "--format", "json", **env)
    keys = [m["key"] for m in json.loads(outbox.stdout) if m["status"] == Status.SENT.value]
    assert keys == [f"digest:ict-morning:{due:%Y-%m-%dT%H:%M}+0000"]


def _ran_before(settings: Settings, before: datetime) -> None:
    """A scheduler that ran on this database at `before` and stopped: its job waits for the due run."""
    clock = Clock(before)
    services = build_services(settings, clock=clock, background_training=False)
    try:
        with apscheduler_clock(clock):
            scheduler = DigestScheduler(
                services.digests,
                services.db.engine,
                settings.digests,
                scheduler=SteppedScheduler(),
                threaded=False,
            )
            scheduler.start()
            scheduler.scheduler.step()
            scheduler.shutdown()
        stored = stored_jobs(services.db.engine)
    finally:
        services.close()
    assert stored is not None and stored["digest:ict-morning"] is not None
    assert stored["digest:ict-morning"] > before


def _serve(tmp_path: Path, fake: FakeSlack, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = cli_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        **extra,
    )
    process = subprocess.Popen(
        [str(SERVICEBOT), "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    listening: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if LISTENING.match(line):
                listening.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        listening.get(timeout=60)
    except queue.Empty:
        process.kill()
        raise AssertionError("the server never said where it listens") from None
    return process
