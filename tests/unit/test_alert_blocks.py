"""How an alert looks in Slack, from the facts the core stored: the state in words beside its emoji (never
colour alone), the figures in the KPI's unit, the last six periods, the buttons each kind offers."""

from __future__ import annotations

import json
from typing import Any

from handlers.blocks.alerts import ACK, COMMENT, SNOOZE, alert_notice, outage_alert_notice
from tests.conftest import EXAMPLE_CONFIG, make_settings

KPI: dict[str, Any] = {
    "episode": 7,
    "ref": "CS01",
    "description": "Calls answered",
    "state": "AMBER",
    "why": "new",
    "period": "2026-10",
    "unit": "percent",
    "value": 86.44,
    "decimals": 1,
    "target": 90,
    "floor": 85,
    "dot": "fell",
    "trend": [["2026-05", 91.0], ["2026-10", 86.44]],
    "commentary": False,
}


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_kpi_alert_says_its_state_in_words_with_its_figures_and_three_answers(tmp_path: Any) -> None:
    settings = make_settings(tmp_path, SERVICEBOT_CONFIG=str(EXAMPLE_CONFIG))
    text, blocks = alert_notice(KPI, settings)
    assert text == ":large_orange_circle: CS01 is AMBER for October 2026: Calls answered"
    shown = json.dumps(blocks)
    for part in ("*Figure* 86.4%", "*Target* 90.0%", "*Floor* 85.0%", "*Direction* worse", "May 26 91.0%"):
        assert part in shown
    assert "Add commentary" in shown
    assert [e["action_id"] for e in elements(blocks)] == [ACK, COMMENT, SNOOZE]
    assert elements(blocks)[1]["value"] == "7:CS01:2026-10"
    assert [o["value"] for o in elements(blocks)[2]["options"]] == ["7:1", "7:2", "7:5"]


def test_a_reminder_and_an_escalation_say_so_and_an_activity_shows_its_range(tmp_path: Any) -> None:
    settings = make_settings(tmp_path, SERVICEBOT_CONFIG=str(EXAMPLE_CONFIG))
    reminder, _ = alert_notice({**KPI, "state": "RED", "why": "reminder 2"}, settings)
    assert reminder.startswith(":red_circle: Reminder: CS01 is RED")
    escalated, _ = alert_notice({**KPI, "why": "escalation"}, settings)
    assert "Escalated to you: CS01" in escalated
    activity = {k: v for k, v in KPI.items() if k not in ("target", "floor", "dot")}
    _, blocks = alert_notice(
        {
            **activity,
            "state": "Above",
            "unit": "count",
            "decimals": 0,
            "value": 5120,
            "lower": 3000,
            "upper": 5000,
        },
        settings,
    )
    assert "*Expected* 3,000 to 5,000" in json.dumps(blocks) and "*Figure* 5,120" in json.dumps(blocks)


def test_a_service_out_says_since_when_in_london_time_and_offers_no_commentary(tmp_path: Any) -> None:
    settings = make_settings(tmp_path, SERVICEBOT_CONFIG=str(EXAMPLE_CONFIG))
    data = {
        "episode": 3,
        "state": "Out",
        "why": "new",
        "title": "Email",
        "service": "email",
        "since": "2026-07-01T08:15:00+00:00",
        "out_for": "1 h 5 min",
        "note": "relay down",
    }
    text, blocks = outage_alert_notice(data, settings)
    assert text == ":rotating_light: Email has been out since 09:15 on Wed 01 Jul (1 h 5 min)"
    assert "relay down" in json.dumps(blocks)
    assert [e["action_id"] for e in elements(blocks)] == [ACK, SNOOZE]
