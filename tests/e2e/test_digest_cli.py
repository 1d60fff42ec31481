"""`servicebot digest` and `servicebot schedule list` through the installed command, as a desk lead would:
the next digest shown without recording anything, one sent by hand into the outbox, the jobs listed with
their next runs, and every refusal in one line with its exit status."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG, NO_DATABASE
from tests.support.cli import servicebot

DIGESTS = [
    {
        "name": "ict-morning-alerts",
        "cron": "30 8 * * mon-fri",
        "desk": "ict",
        "channel": "C0ICTLEADS",
        "content": "alert_digest",
    },
    {
        "name": "ict-daily-stats",
        "cron": "0 9 * * mon-fri",
        "desk": "ict",
        "channel": "C0ICTLEADS",
        "content": "daily_stats",
    },
]


def _config(tmp_path: Path, digests: object = DIGESTS) -> dict[str, str]:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["digests"] = digests
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return {"SERVICEBOT_CONFIG": str(path)}


def _one_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = _config(tmp_path)
    assert servicebot(tmp_path, "db", "upgrade", **env).returncode == 0
    outages = tmp_path / "outages.csv"
    # Out since a minute or two ago: the month the alerts judge (the last full one) is untouched, and it
    # has not been out long enough to alert, whatever day the test runs (a fixed date went stale).
    started = (datetime.now(ZoneInfo("Europe/London")) - timedelta(minutes=2)).replace(
        second=0, microsecond=0
    )
    outages.write_text(f"service,start,end\nemail,{started:%Y-%m-%dT%H:%M},\n", encoding="utf-8")
    imported = servicebot(tmp_path, "import", "outages", str(outages), **env)
    assert imported.returncode == 0, imported
    return env


def test_schedule_list_shows_each_job_its_cron_and_next_run(tmp_path: Path, env: dict[str, str]) -> None:
    result = servicebot(tmp_path, "schedule", "list", **env)
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "ict-morning-alerts: alert_digest for desk ict to C0ICTLEADS, cron '30 8 * * mon-fri' "
        "(Europe/London, working days only)"
    )
    assert lines[1].startswith("  next run: ") and lines[1].endswith(" 08:30 (Europe/London)")
    assert lines[2] == "  stored in the job store: no (added when the scheduler starts)"
    assert lines[3].startswith("ict-daily-stats: daily_stats for desk ict")
    assert lines[-1] == "(job store: not created yet: the scheduler has not run on this database)"
    listed = json.loads(servicebot(tmp_path, "schedule", "list", "--format", "json", **env).stdout)
    assert [d["name"] for d in listed["digests"]] == ["ict-morning-alerts", "ict-daily-stats"]
    assert all(d["stored"] is False for d in listed["digests"])
    assert listed["digests"][0]["next_run"][11:16] == "08:30"  # local time, with its offset after


def test_schedule_list_works_without_a_database_and_with_no_digests(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "schedule", "list", **_config(tmp_path))
    assert result.returncode == 0, result
    assert "stored in the job store: unknown" in result.stdout
    assert f"(job store: not read: SERVICEBOT_DATABASE_URL: {NO_DATABASE}" in result.stdout
    assert not (tmp_path / "console.db").exists(), "listing created a database"
    none = servicebot(tmp_path, "schedule", "list", **_config(tmp_path, []))
    assert none.stdout.startswith("No digests are configured (digests: in ")


def test_a_dry_run_renders_the_next_digest_and_records_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    result = servicebot(tmp_path, "digest", "--desk", "ict", "--dry-run", **env)
    assert result.returncode == 0, result
    out = result.stdout
    assert out.startswith("Digest ict-morning-alerts (alert_digest, desk ict) to C0ICTLEADS, next run ")
    assert "; dry run, nothing recorded:" in out.splitlines()[0]
    assert "ICT Service Desk: alert digest, " in out
    assert "KPIs now AMBER or RED (" in out
    assert "Open breach episodes\n  none open" in out
    assert "Open outages\n  - Email: out since " in out
    stats = servicebot(tmp_path, "digest", "--desk", "ict", "--content", "daily_stats", "--dry-run", **env)
    assert stats.stdout.startswith("Digest ict-daily-stats (daily_stats, desk ict)")
    assert "Work in hand" in stats.stdout and "Figures are for yesterday, " in stats.stdout
    unconfigured = servicebot(
        tmp_path, "digest", "--desk", "contact", "--content", "monthly_dashboard", "--dry-run", **env
    )
    assert unconfigured.returncode == 0, unconfigured
    assert "(not configured: no schedule, no channel)" in unconfigured.stdout
    assert "File: dashboard-contact-" in unconfigured.stdout
    # No digest recorded (the email outage imported for this test did raise its alert, as imports do).
    listed = json.loads(servicebot(tmp_path, "outbox", "list", "--format", "json", **env).stdout)
    assert [m["key"] for m in listed if m["key"].startswith("digest:")] == []


def test_a_digest_sent_by_hand_is_recorded_under_a_key_that_says_so(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = servicebot(tmp_path, "digest", "--name", "ict-daily-stats", **env)
    assert result.returncode == 0, result
    assert result.stdout.startswith("Recorded digest ict-daily-stats for C0ICTLEADS now (outbox key ")
    listed = json.loads(servicebot(tmp_path, "outbox", "list", "--format", "json", **env).stdout)
    (message,) = [m for m in listed if not m["key"].startswith("alert:")]
    assert message["key"].startswith("digest:ict-daily-stats:by-hand:")
    assert message["status"] == "pending"


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        (("digest", "--desk", "hr", "--dry-run"), 2, "servicebot: --desk: Unknown desk 'hr'; choose one of:"),
        (("digest", "--dry-run"), 2, "servicebot: digest: give --desk (the desk's next digest) or --name"),
        (
            ("digest", "--name", "nope"),
            1,
            "servicebot: Unknown digest 'nope'; choose one of: ict-morning-alerts",
        ),
        (
            ("digest", "--name", "ict-daily-stats", "--desk", "contact"),
            1,
            "servicebot: --name: digest 'ict-daily-stats' is for desk 'ict', not 'contact'",
        ),
        (
            ("digest", "--name", "ict-daily-stats", "--content", "alert_digest"),
            1,
            "servicebot: --name: digest 'ict-daily-stats' is a daily_stats digest, not alert_digest",
        ),
        (
            ("digest", "--desk", "contact"),
            1,
            "servicebot: digest: no alert_digest digest is configured for desk 'contact'",
        ),
        (
            ("digest", "--desk", "ict", "--content", "weekly"),
            2,
            "argument --content: invalid choice: 'weekly'",
        ),
        (("schedule", "show"), 2, "argument ACTION: invalid choice: 'show'"),
        (("schedule", "list", "--format", "yaml"), 2, "argument --format: invalid choice: 'yaml'"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else str(value),
)
def test_bad_arguments_are_one_line_with_the_right_status(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], status: int, expected: str
) -> None:
    assert expected in _one_line(servicebot(tmp_path, *args, **env), status)


def test_a_digest_command_on_a_missing_database_says_how_to_make_one(tmp_path: Path) -> None:
    line = _one_line(servicebot(tmp_path, "digest", "--desk", "ict", "--dry-run", **_config(tmp_path)), 2)
    assert NO_DATABASE in line and "servicebot db upgrade" in line
    assert not (tmp_path / "console.db").exists()


@pytest.mark.parametrize(
    ("digest", "expected"),
    [
        (
            {"cron": "30 8 * * 1-5"},
            "digests.0: Value error, digest 'ict-morning-alerts': cron '30 8 * * 1-5'",
        ),
        (
            {"cron": "every morning"},
            "digest 'ict-morning-alerts': cron 'every morning' is not a 5-field crontab",
        ),
        ({"desk": "hr"}, "digests: Value error, digest 'ict-morning-alerts': no desk 'hr'"),
    ],
)
def test_a_bad_digest_in_the_configuration_stops_every_command(
    tmp_path: Path, digest: dict[str, str], expected: str
) -> None:
    env = _config(tmp_path, [{**DIGESTS[0], **digest}])
    for args in (("schedule", "list"), ("digest", "--desk", "ict", "--dry-run"), ("tickets", "list")):
        line = _one_line(servicebot(tmp_path, *args, **env), 2)
        assert line.startswith("servicebot: invalid configuration in ") and expected in line, line
