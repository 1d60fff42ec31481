"""The real `servicebot serve --http` process, as a process manager runs it: it says where it listens,
stops cleanly on SIGTERM and SIGINT without losing anything it acknowledged, leaves no process behind
(not even when it is SIGKILLed), and refuses Slack credentials that cannot work with one line."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from servicebot.bootstrap import build_services
from servicebot.storage.tables import inbound_requests
from tests.conftest import make_settings
from tests.support.cli import SERVICEBOT, cli_env, servicebot
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.live_app import SIGNING_SECRET
from tests.support.slack_requests import SlackSender, event_callback, message_event

INTAKE = "C0ICTHELP"
LISTENING = re.compile(
    r"^ServiceBot: listening on 127\.0\.0\.1:(\d+): Slack at http://127\.0\.0\.1:\1/slack/events, "
    r"health at http://127\.0\.0\.1:\1/healthz$"
)


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    database_url: str
    lines: list[str] = field(default_factory=list)

    @property
    def sender(self) -> SlackSender:
        return SlackSender(f"http://127.0.0.1:{self.port}/slack/events", SIGNING_SECRET, timeout=10)

    def stderr(self) -> str:
        return "\n".join(self.lines)


def _wait_until(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def serve(tmp_path: Path, slack: FakeSlack, **extra: str) -> Iterator[Served]:
    """`servicebot serve --http` on a free port; more than one on the same `tmp_path` share its database."""
    env = cli_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        **extra,
    )
    process = subprocess.Popen(
        [str(SERVICEBOT), "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as under systemd or `timeout`
    )
    lines: list[str] = []
    ports: queue.Queue[int] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            found = LISTENING.match(line)
            if found:
                ports.put(int(found.group(1)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        try:
            port = ports.get(timeout=60)
        except queue.Empty:
            raise AssertionError("no 'listening on' line:\n" + "\n".join(lines)) from None
        yield Served(process, port, env["SERVICEBOT_DATABASE_URL"], lines)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        reader.join(timeout=10)


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc (zombies are dead: they only wait to be reaped)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            parents[int(entry.name)] = int(ppid)
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _send_event(served: Served, text: str) -> str | None:
    """The event's key if the server acknowledged it (200), else None (refused or not connected)."""
    payload = event_callback(message_event(text, channel=INTAKE))
    try:
        response = served.sender.send_payload(payload)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
    return f"event:{json.loads(payload.body)['event_id']}" if response.status == 200 else None


def _inbox_done(tmp_path: Path, database_url: str) -> bool:
    """Every request in the inbox processed: the worker is waiting for the next one."""
    services = build_services(make_settings(tmp_path, SERVICEBOT_DATABASE_URL=database_url))
    try:
        with services.inbox.db.read() as session:
            rows = session.execute(select(inbound_requests.c.processed_at)).all()
        return bool(rows) and all(row.processed_at is not None for row in rows)
    finally:
        services.close()


def _inbox_keys(tmp_path: Path, database_url: str) -> set[str]:
    services = build_services(make_settings(tmp_path, SERVICEBOT_DATABASE_URL=database_url))
    try:
        with services.inbox.db.read() as session:
            return {row.key for row in session.execute(select(inbound_requests.c.key))}
    finally:
        services.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly_and_loses_nothing_it_acknowledged(tmp_path: Path, signum: int) -> None:
    with FakeSlack() as slack, serve(tmp_path, slack) as served:
        acknowledged = [_send_event(served, f"printer {n} on floor 2 is jammed") for n in range(3)]
        assert None not in acknowledged, served.stderr()
        workers = _wait_until(lambda: _descendants(served.process.pid), "the worker process")

        # Requests keep coming while the signal arrives: whatever got a 200 must survive the stop.
        stop_sending = threading.Event()

        def keep_sending() -> None:
            n = 0
            while not stop_sending.is_set() and n < 500:
                acknowledged.append(_send_event(served, f"monitor {n} flickers"))
                n += 1

        sender = threading.Thread(target=keep_sending)
        sender.start()
        _wait_until(lambda: len(acknowledged) >= 6, "a few requests during the burst")
        served.process.send_signal(signum)
        status = served.process.wait(timeout=60)
        stop_sending.set()
        sender.join(timeout=30)

        assert status == 0, served.stderr()
        assert "Traceback" not in served.stderr(), served.stderr()
        _wait_until(lambda: not any(_alive(pid) for pid in workers), "the worker and helpers to exit")
        kept = _inbox_keys(tmp_path, served.database_url)
        lost = {key for key in acknowledged if key is not None} - kept
        assert not lost, f"acknowledged but not in the inbox: {sorted(lost)}"


def test_sigterm_to_the_whole_process_group_stops_it_cleanly(tmp_path: Path) -> None:
    """systemd's KillMode=control-group and `timeout` signal every process of the group at once. The worker
    used to die of it, and the server then hung for ever waking a worker that was no longer there."""
    with FakeSlack() as slack, serve(tmp_path, slack) as served:
        assert _send_event(served, "printer on floor 2 is jammed") is not None
        workers = _wait_until(lambda: _descendants(served.process.pid), "the worker process")
        _wait_until(
            lambda: served.database_url and _inbox_done(tmp_path, served.database_url), "the worker idle"
        )
        os.killpg(served.process.pid, signal.SIGTERM)
        status = served.process.wait(timeout=60)
        assert status == 0, served.stderr()
        assert "Traceback" not in served.stderr(), served.stderr()
        _wait_until(lambda: not any(_alive(pid) for pid in workers), "the worker and helpers to exit")


def test_the_worker_does_not_outlive_a_killed_server(tmp_path: Path) -> None:
    with FakeSlack() as slack, serve(tmp_path, slack) as served:
        workers = _wait_until(lambda: _descendants(served.process.pid), "the worker process")
        served.process.kill()
        served.process.wait(timeout=30)
        _wait_until(lambda: not any(_alive(pid) for pid in workers), "the orphaned worker to stop")


def test_it_says_where_it_listens_in_one_line(tmp_path: Path) -> None:
    with FakeSlack() as slack, serve(tmp_path, slack) as served:
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=60) == 0
    base = f"http://127.0.0.1:{served.port}"
    assert [line for line in served.lines if "listening" in line] == [
        f"ServiceBot: listening on 127.0.0.1:{served.port}: Slack at {base}/slack/events, "
        f"health at {base}/healthz"
    ]


# -- credentials that cannot work ----------------------------------------------------------------------------
def _serve_once(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return servicebot(tmp_path, "serve", "--http", "--host", "127.0.0.1", "--port", "0", **env)


def _one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_wrong_bot_token_is_named_with_what_to_do(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        result = _serve_once(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-not-the-right-one",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        )
    line = _one_line_exit_2(result)
    assert line.startswith("servicebot: SLACK_BOT_TOKEN: Slack refused it (invalid_auth)")
    assert "Bot User OAuth Token" in line


@pytest.mark.parametrize("error", ["not_authed", "account_inactive", "token_revoked"])
def test_a_revoked_or_inactive_bot_token_is_named(tmp_path: Path, error: str) -> None:
    with FakeSlack() as slack:
        slack.fail_next("auth.test", error=error)
        result = _serve_once(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        )
    assert _one_line_exit_2(result).startswith(f"servicebot: SLACK_BOT_TOKEN: Slack refused it ({error})")


def test_an_unreachable_slack_is_named(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        closed = slack.api_url  # a port nothing listens on once the fake has stopped
    result = _serve_once(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=closed
    )
    line = _one_line_exit_2(result)
    assert line.startswith(f"servicebot: SLACK_API_URL: cannot reach Slack at {closed} (")
    assert "refused" in line.lower()


def test_socket_mode_with_a_token_that_is_not_an_app_token_is_named(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        result = servicebot(
            tmp_path,
            "run",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN="xoxb-pasted-twice",
            SLACK_API_URL=slack.api_url,
        )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith(
        "servicebot: SLACK_APP_TOKEN: an app-level token starts with 'xapp-'; make one"
    )
    assert "App-Level Tokens" in lines[-1]


def test_socket_mode_with_an_app_token_slack_refuses_is_named(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        result = servicebot(
            tmp_path,
            "run",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN="xapp-1-revoked",
            SLACK_API_URL=slack.api_url,
        )
        opened = slack.calls_to("apps.connections.open")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith("servicebot: SLACK_APP_TOKEN: Slack refused it (invalid_auth)")
    assert [call.token for call in opened] == ["xapp-1-revoked"]
