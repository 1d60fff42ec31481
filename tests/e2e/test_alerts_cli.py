"""`servicebot alerts list|evaluate` and the console's `alerts` / `alert ack|snooze|comment`, run as a user
would: the installed command against a temporary database, wrong arguments included."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from servicebot.domain.periods import Period
from tests.integration.test_alerts import DEFINITIONS, OWNER, config
from tests.support.cli import servicebot

# What `evaluate` judges by default: the last full month, by the real clock.
LAST_MONTH = Period.containing(datetime.now(UTC), ZoneInfo("Europe/London")).previous


@pytest.fixture
def breached(tmp_path: Path) -> dict[str, str]:
    """A database whose ICT01 is RED last month, its alert raised as the figures were loaded; the
    environment to reach it."""
    env = {"SERVICEBOT_CONFIG": str(config(tmp_path))}
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
    (tmp_path / "values.csv").write_text(f"ref,period,value,ytd\nICT01,{LAST_MONTH},60,\n")
    loaded = servicebot(
        tmp_path, "kpi", "load", "--definitions", "kpis.yaml", "--values", "values.csv", **env
    )
    assert loaded.returncode == 0, loaded.stderr
    assert f"alert: ICT01 alert #1 RED {LAST_MONTH} (new) to {OWNER}" in loaded.stdout
    return env


def test_new_figures_raise_their_alerts_as_they_are_imported_and_a_dry_run_raises_none(
    tmp_path: Path,
) -> None:
    env = {"SERVICEBOT_CONFIG": str(config(tmp_path))}
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
    assert servicebot(tmp_path, "kpi", "load", "--definitions", "kpis.yaml", **env).returncode == 0
    (tmp_path / "values.csv").write_text(f"ref,period,value,ytd\nICT01,{LAST_MONTH},61,\n")
    dry = servicebot(tmp_path, "import", "values", "values.csv", "--dry-run", **env)
    assert dry.returncode == 0 and "alert:" not in dry.stdout
    imported = servicebot(tmp_path, "import", "values", "values.csv", **env)
    assert imported.returncode == 0 and f"alert: ICT01 alert #1 RED {LAST_MONTH} (new)" in imported.stdout
    again = servicebot(tmp_path, "import", "values", "values.csv", **env)
    assert again.returncode == 0 and "alert:" not in again.stdout


def test_evaluate_dry_run_then_for_real_then_again(tmp_path: Path) -> None:
    """A service out two hours, recorded while alerts waited a day for outages; the lead then sets them to
    wait an hour: the evaluation finds the alert owed."""
    patient = {"SERVICEBOT_CONFIG": str(config(tmp_path, outage_after_minutes=1440))}
    started = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "outages.csv").write_text(f"service,start,end\nemail,{started},\n")
    imported = servicebot(tmp_path, "import", "outages", "outages.csv", **patient)
    assert imported.returncode == 0 and "alert:" not in imported.stdout, imported.stdout + imported.stderr

    hourly = {"SERVICEBOT_CONFIG": str(config(tmp_path, outage_after_minutes=60))}
    dry = servicebot(tmp_path, "alerts", "evaluate", "--dry-run", **hourly)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("outage:email new alert Out (new) to ") and "nothing was" in dry.stdout
    assert servicebot(tmp_path, "alerts", "list", **hourly).stdout.strip() == "(no alerts)"
    real = servicebot(tmp_path, "alerts", "evaluate", **hourly)
    # Its number: the first episode's, though on PostgreSQL the dry run's rolled-back insert drew #1.
    assert real.returncode == 0 and re.match(r"outage:email alert #[12] Out \(new\) to ", real.stdout), real
    again = servicebot(tmp_path, "alerts", "evaluate", **hourly)
    assert again.stdout.strip() == "nothing to send: no KPI changed state and no reminder is due"


def test_the_history_as_json_and_text(tmp_path: Path, breached: dict[str, str]) -> None:
    listed = json.loads(servicebot(tmp_path, "alerts", "list", "--format", "json", **breached).stdout)
    [episode] = listed
    assert (episode["ref"], episode["state"], episode["period"], episode["fingerprint"]) == (
        "ICT01",
        "RED",
        str(LAST_MONTH),
        f"ICT01:{LAST_MONTH}:RED",
    )
    assert [e["kind"] for e in episode["events"]] == ["opened"]
    assert {m["key"] for m in episode["messages"]} == {
        f"alert:1:open:{OWNER}",
        "alert:1:open:lead:C0ICTLEADS",
    }
    assert all(m["status"] == "pending" for m in episode["messages"])  # no bot running: the relay sends
    text = servicebot(tmp_path, "alerts", "list", **breached).stdout
    assert f"#1     ICT01   RED    {LAST_MONTH}  open" in text and "opened" in text


def test_the_console_answers_alerts_and_refuses_what_is_wrong(
    tmp_path: Path, breached: dict[str, str]
) -> None:
    assert servicebot(tmp_path, "alerts", "evaluate", **breached).returncode == 0
    script = "\n".join(
        [
            "alerts",
            "alert",
            "alert ack",
            "alert ack x",
            "alert frob 1",
            "alert ack 99",
            "alert snooze 1 soon",
            "alert snooze 1 40",
            "alert comment 1 only a cause",
            "alert snooze 1 2",
            "alert comment 1 Two agents off sick | Agency cover booked | 2027-01-31",
            "alerts",
            "alert ack 1",
        ]
    )
    result = servicebot(tmp_path, "console", "--user", OWNER, stdin=script + "\n", **breached)
    assert result.returncode == 0, result.stderr
    replies = result.stdout.strip().split("\n\n")
    assert len(replies) == 13, replies
    assert replies[0].startswith("1 open breach alert(s):") and "#1 ICT01 RED" in replies[0]
    assert "not acknowledged" in replies[0] and "commentary owed" in replies[0]
    assert "say what to do with which alert" in replies[1] and "alert ack <id>" in replies[1]
    assert "needs the alert's number" in replies[2]
    assert "needs the alert's number" in replies[3]
    assert "'frob' is not something to do to an alert" in replies[4]
    assert "no alert #99" in replies[5]
    assert "snooze until 'soon'" in replies[6]
    assert "snooze for 40 working days: give 1 to 20" in replies[7]
    assert "cause | the action" in replies[8]
    assert replies[9].startswith("Alert #1 (ICT01) snoozed until")
    assert replies[10].startswith(f"Commentary saved for ICT01, {LAST_MONTH}")
    assert f"acknowledged by {OWNER}" in replies[11] and "commentary given" in replies[11]
    assert replies[12] == f"Alert #1 (ICT01) acknowledged by {OWNER}."
    # Nothing here was taken for a request: no tickets.
    assert "T-0000" not in result.stdout

    dashboard = servicebot(tmp_path, "dashboard", "--period", str(LAST_MONTH), "--format", "md", **breached)
    assert "Two agents off sick" in dashboard.stdout


def test_someone_who_is_not_an_owner_is_refused_in_the_console(
    tmp_path: Path, breached: dict[str, str]
) -> None:
    servicebot(tmp_path, "alerts", "evaluate", **breached)
    result = servicebot(tmp_path, "console", "--user", "U0NOSY", stdin="alert ack 1\n", **breached)
    assert "Only ICT01's owners, its director or a manager can acknowledge alert #1" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("alerts",), "the following arguments are required"),
        (("alerts", "frob"), "invalid choice: 'frob'"),
        (("alerts", "list", "--limit", "0"), "--limit"),
        (("alerts", "list", "--format", "xml"), "invalid choice: 'xml'"),
        (("alerts", "evaluate", "--period", "2026-13"), "--period"),
    ],
)
def test_wrong_arguments_are_named(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = servicebot(tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
def test_listing_or_a_dry_run_creates_no_database(tmp_path: Path) -> None:
    for args in (("alerts", "list"), ("alerts", "evaluate", "--dry-run")):
        result = servicebot(tmp_path, *args)
        assert result.returncode == 2 and "no database at" in result.stderr
    assert not (tmp_path / "console.db").exists()
