"""A new user's probe of the breach alerts: button values, modal submissions and typed commands that are
wrong in the ways people (and forged or stale payloads) are wrong. Each is answered with what was wrong,
never a 5xx, a traceback or a request the worker keeps failing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.blocks.alerts import ACK, COMMENT_VIEW, SNOOZE
from tests.e2e.test_alerts_cli import LAST_MONTH
from tests.e2e.test_alerts_e2e import TUESDAY, evaluate, publish
from tests.integration.test_alerts import DEFINITIONS, OWNER, config
from tests.support.cli import servicebot
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import view_submission


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    """The real HTTP app and worker against the fake Slack, the alerts' KPI definitions loaded."""
    with live_app(tmp_path, SERVICEBOT_CONFIG=str(config(tmp_path))) as app:
        (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
        app.services.kpis.load_definitions(tmp_path / "kpis.yaml")
        yield app


@pytest.fixture
def breached(tmp_path: Path) -> dict[str, str]:
    """For the installed command: ICT01 RED last month and its alert #1 open; the environment to reach it."""
    env = {"SERVICEBOT_CONFIG": str(config(tmp_path))}
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
    (tmp_path / "values.csv").write_text(f"ref,period,value,ytd\nICT01,{LAST_MONTH},60,\n")
    loaded = servicebot(
        tmp_path, "kpi", "load", "--definitions", "kpis.yaml", "--values", "values.csv", **env
    )
    assert loaded.returncode == 0 and "alert: ICT01 alert #1" in loaded.stdout, loaded.stderr
    return env


def _answers(live: LiveApp) -> list[str]:
    calls = [*live.slack.calls_to("chat.postEphemeral"), *live.slack.calls_to("response_url")]
    return [str(c.args["text"]) for c in calls]


def _processed_cleanly(live: LiveApp) -> None:
    live.settled()
    for row in live.inbox():
        assert row.processed_at is not None and row.last_error is None, row


@pytest.mark.parametrize("value", ["x", "-1", "²", "99999999999999999999", "9223372036854775808", "0"])
def test_a_malformed_acknowledge_button_is_answered_not_crashed_on(
    live: LiveApp, tmp_path: Path, value: str
) -> None:
    publish(live, tmp_path, 60.0)
    evaluate(live, TUESDAY)
    sent = live.sender.send_action(ACK, value, user_id=OWNER, channel_id="C0ICTLEADS")
    assert sent.status == 200
    _processed_cleanly(live)
    answers = _answers(live)
    assert answers and ("names no alert" in answers[0] or "no alert #" in answers[0]), answers
    [view] = live.services.alerts.listed()
    assert view.episode.acknowledged_by is None


@pytest.mark.parametrize("value", ["1:x", "1:²", "1:-1", "1:99999999999999999999", "1:", "²:1"])
def test_a_snooze_with_a_bad_option_is_answered(live: LiveApp, tmp_path: Path, value: str) -> None:
    publish(live, tmp_path, 60.0)
    evaluate(live, TUESDAY)
    assert live.sender.send_action(SNOOZE, value, user_id=OWNER, channel_id="C0ICTLEADS").status == 200
    _processed_cleanly(live)
    answers = _answers(live)
    assert answers and ("names no alert" in answers[0] or "snooze" in answers[0]), answers
    [view] = live.services.alerts.listed()
    assert view.episode.snoozed_until is None


def _view(metadata: str) -> dict[str, Any]:
    return {"id": "V0ODD", "type": "modal", "callback_id": COMMENT_VIEW, "private_metadata": metadata}


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"cause": "text", "action": []},
        {"cause": {"text": "typed"}, "action": {"text": None}},
        {"cause": {"text": {"value": 7}}, "action": {"text": {"value": ["a"]}}},
        {"recovery": {"date": "2027-01-01"}},
    ],
    ids=["no-blocks", "blocks-not-mappings", "actions-not-mappings", "values-not-text", "odd-date"],
)
def test_a_commentary_form_of_an_odd_shape_is_answered_in_the_form(
    live: LiveApp, values: dict[str, Any]
) -> None:
    answer = live.sender.send_payload(view_submission(_view("1"), values, user_id=OWNER))
    assert answer.status == 200, answer.text
    assert answer.json()["response_action"] == "errors"


@pytest.mark.parametrize("metadata", ["", "x", "²", "99999999999999999999", "-1"])
def test_a_commentary_form_naming_no_alert_saves_nothing_and_fails_nothing(
    live: LiveApp, tmp_path: Path, metadata: str
) -> None:
    publish(live, tmp_path, 60.0)
    evaluate(live, TUESDAY)
    typed = {
        "cause": {"text": {"type": "plain_text_input", "value": "Two agents off sick"}},
        "action": {"text": {"type": "plain_text_input", "value": "Agency staff booked"}},
    }
    answer = live.sender.send_payload(view_submission(_view(metadata), typed, user_id=OWNER))
    assert answer.status == 200, answer.text
    _processed_cleanly(live)
    [view] = live.services.alerts.listed()
    assert view.episode.acknowledged_by is None and not view.commentary


def _console(tmp_path: Path, env: dict[str, str], *lines: str) -> subprocess.CompletedProcess[str]:
    return servicebot(tmp_path, "console", "--user", OWNER, stdin="\n".join(lines) + "\n", **env)


@pytest.mark.parametrize("days", ["²", "¹²", "٣"])
def test_a_snooze_of_digits_that_are_no_number_is_refused_in_the_console(
    tmp_path: Path,
    breached: dict[str, str],
    days: str,
) -> None:
    result = _console(tmp_path, breached, f"alert snooze 1 {days}", "alerts")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert f"snooze until {days!r}: give working days" in result.stdout
    assert "not acknowledged" in result.stdout, "the console kept going, and nothing was snoozed"


def test_an_alert_number_too_big_is_no_alert_in_the_console(
    tmp_path: Path,
    breached: dict[str, str],
) -> None:
    result = _console(tmp_path, breached, "alert ack 99999999999999999999")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "no alert #99999999999999999999" in result.stdout


@pytest.mark.parametrize("args", [(), ("1", "--failed")], ids=["nothing", "both"])
def test_outbox_retry_without_ids_or_with_both_is_a_usage_error(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    result = servicebot(tmp_path, "outbox", "retry", *args)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result
    assert result.stderr.strip() == (
        "servicebot: outbox retry: give message ids, or --failed for every failed message (not both)"
    )


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
@pytest.mark.parametrize("args", [("evaluate",), ("evaluate", "--dry-run"), ("list",)])
def test_alerts_on_a_database_that_is_not_there_create_none(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A mistyped SERVICEBOT_DATABASE_URL must not become a new, empty database that has "nothing to send"."""
    result = servicebot(tmp_path, "alerts", *args)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result
    assert "no database at" in result.stderr and "servicebot db upgrade" in result.stderr
    assert list(tmp_path.iterdir()) == [], "no file was created"
