"""Two `servicebot serve --http` replicas on one PostgreSQL, behind no load balancer but this test, which
sends every Slack event to both, and kills the leader while it is in the middle of a digest.

What must hold: no event makes two tickets (the database's unique keys decide, not either process's
memory), the digest the leader was writing is sent once (by the replica that takes over), each alert is
recorded once, and nothing reaches Slack twice."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG, on_postgresql
from tests.e2e.test_serve_process import Served, _wait_until, serve
from tests.support.cli import servicebot
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import event_callback, message_event

pytestmark = pytest.mark.skipif(
    not on_postgresql(),
    reason="replicas on one PostgreSQL: runs in the PostgreSQL pass (make test-postgresql)",
)

INTAKE, LEADS = "C0ICTHELP", "C0ICTLEADS"
DIGEST = "ict-every-minute"


def _config(tmp_path: Path) -> dict[str, str]:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["digests"] = [
        {
            "name": DIGEST,
            "cron": "* * * * *",
            "desk": "ict",
            "channel": LEADS,
            "content": "alert_digest",
            "working_days_only": False,
        }
    ]
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return {"SERVICEBOT_CONFIG": str(path)}


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _leader_worker_pid(url: str) -> int | None:
    """The process leading, from the label its lock's connection carries (`runtime/leader.py`)."""
    with _connect(url) as connection:
        row = connection.execute(
            "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'servicebot leader %'"
        ).fetchone()
    return None if row is None else int(str(row[0]).split()[2].split(":")[1])


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _count(url: str, sql: str) -> int:
    with _connect(url) as connection:
        row = connection.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _send_to_both(replicas: list[Served], n: int) -> None:
    """Each event to both replicas at once, as Slack's retry after a timeout can land on the other."""
    payloads = [
        event_callback(message_event(f"printer {k} on floor 3 is jammed", channel=INTAKE)) for k in range(n)
    ]
    statuses: list[int] = []

    def send(served: Served) -> None:
        for payload in payloads:
            statuses.append(served.sender.send_payload(payload).status)

    threads = [threading.Thread(target=send, args=(served,)) for served in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert statuses == [200] * (2 * n), statuses


def test_two_replicas_one_leader_killed_mid_digest_nothing_twice(tmp_path: Path) -> None:
    env = _config(tmp_path)
    assert servicebot(tmp_path, "db", "upgrade", **env).returncode == 0
    # A service out for two hours: the leader's first evaluation opens an outage alert.
    since = (datetime.now(ZoneInfo("Europe/London")) - timedelta(hours=2)).replace(second=0, microsecond=0)
    outages = tmp_path / "outages.csv"
    outages.write_text(f"service,start,end\nemail,{since:%Y-%m-%dT%H:%M},\n", encoding="utf-8")
    assert servicebot(tmp_path, "import", "outages", str(outages), **env).returncode == 0

    with (
        FakeSlack() as slack,
        serve(tmp_path, slack, **env) as first,
        serve(tmp_path, slack, **env) as second,
    ):
        url = first.database_url
        replicas = {first.process.pid: first, second.process.pid: second}
        _send_to_both([first, second], 10)
        _wait_until(
            lambda: _count(url, "SELECT count(*) FROM inbound_requests WHERE processed_at IS NULL") == 0,
            "both workers to finish the events",
            timeout=60,
        )
        assert _count(url, "SELECT count(*) FROM tickets") == 10, "one ticket per event, not per delivery"
        assert _count(url, "SELECT count(*) FROM inbound_requests") == 10

        worker = _wait_until(lambda: _leader_worker_pid(url), "a leader to be elected", timeout=60)
        leader = replicas[_parent(worker)]
        survivor = second if leader is first else first
        _wait_until(
            lambda: _count(url, "SELECT count(*) FROM alert_episodes") == 1, "the outage alert", timeout=60
        )

        # Hold the next digest mid-way: it reads the open alert episodes, which this transaction locks.
        blocker = _connect(url)
        blocker.autocommit = False
        blocker.execute("LOCK TABLE alert_episodes IN ACCESS EXCLUSIVE MODE")
        mine = blocker.info.backend_pid
        _wait_until(
            lambda: _count(
                url, f"SELECT count(*) FROM pg_stat_activity WHERE {mine} = ANY(pg_blocking_pids(pid))"
            ),
            "the leader's digest to be waiting on the lock",
            timeout=90,
        )
        held_at = datetime.now(UTC).replace(second=0, microsecond=0)
        os.killpg(leader.process.pid, signal.SIGKILL)  # the leader's machine is gone: web and worker
        leader.process.wait(timeout=30)
        blocker.rollback()
        blocker.close()

        key = f"digest:{DIGEST}:{held_at.astimezone(ZoneInfo('Europe/London')):%Y-%m-%dT%H:%M%z}"
        _wait_until(
            lambda: _leader_worker_pid(url) not in (None, worker), "the survivor to take over", timeout=60
        )
        assert _parent(_leader_worker_pid(url) or 0) == survivor.process.pid
        _wait_until(
            lambda: _count(url, f"SELECT count(*) FROM outbox WHERE key = '{key}' AND status = 'sent'"),
            "the digest the leader died writing, sent by the survivor",
            timeout=60,
        )

        assert _count(url, "SELECT count(*) FROM alert_episodes") == 1, "the alert opened once"
        assert _count(url, "SELECT count(*) FROM outbox WHERE key LIKE 'alert:%'") >= 1
        posts = [c for c in slack.calls_to("chat.postMessage") if c.ok]
        # Every digest sent once: as many digests in Slack as digest messages the outbox marked sent
        # (each minute's digest reads the same, so they are counted, not compared).
        digests = [c for c in posts if "alert digest" in str(c.args.get("text", ""))]
        assert len(digests) == _count(
            url, "SELECT count(*) FROM outbox WHERE key LIKE 'digest:%' AND status = 'sent'"
        )
        # Everything else (ticket cards, alerts) differs from message to message: none may come twice.
        others = [
            json.dumps(
                [c.args.get("channel"), c.args.get("thread_ts"), c.args.get("text"), c.args.get("blocks")]
            )
            for c in posts
            if c not in digests
        ]
        twice = [text for text, n in Counter(others).items() if n > 1]
        assert not twice, f"sent to Slack twice: {twice}"
        assert "Traceback" not in survivor.stderr(), survivor.stderr()
