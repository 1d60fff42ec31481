"""The `alerts:` section and a desk's `lead_channel`: defaults that work, and each mistake named by key."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
import yaml

from servicebot.config import ConfigError, load_settings
from tests.conftest import EXAMPLE_CONFIG


def settings_with(tmp_path: Path, alerts: object) -> object:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["alerts"] = alerts
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_settings({"SERVICEBOT_CONFIG": str(path), "SERVICEBOT_DATABASE_URL": "sqlite:///x.db"})


def test_the_example_configures_leads_and_sensible_defaults() -> None:
    settings = load_settings(
        {"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG), "SERVICEBOT_DATABASE_URL": "sqlite:///x.db"}
    )
    assert settings.desk("ict").lead_channel == "C0ICTLEADS"
    alerts = settings.alerts
    assert (alerts.remind_at, alerts.escalate_after_hours, alerts.evaluate_every_minutes) == (time(9), 16, 15)
    assert alerts.outage_after_minutes == 60 and alerts.directors == {}


def test_directors_and_times_are_read(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path,
        {"remind_at": "08:45", "directors": {"Rebecca Spore": "U0DIR"}, "outage_after_minutes": None},
    )
    assert settings.alerts.remind_at == time(8, 45)  # type: ignore[attr-defined]
    assert settings.alerts.directors == {"Rebecca Spore": "U0DIR"}  # type: ignore[attr-defined]
    assert settings.alerts.outage_after_minutes is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("alerts", "named"),
    [
        ({"remind_at": 540}, 'alerts.remind_at: Value error, write times in quotes as "HH:MM"'),
        ({"remind_at": "25:00"}, "alerts.remind_at"),
        ({"directors": {"Rebecca Spore": "U1 U2"}}, "'U1 U2' is not a Slack user id (such as U012AB3CD)"),
        ({"escalate_after_hours": 0}, "alerts.escalate_after_hours: Input should be greater than 0"),
        ({"evaluate_every_minutes": 0}, "alerts.evaluate_every_minutes"),
        ({"outage_after_minutes": 0}, "alerts.outage_after_minutes"),
        ({"frob": 1}, "alerts.frob: Extra inputs are not permitted"),
        ([1], "alerts: Input should be a valid dictionary"),
    ],
)
def test_each_mistake_is_named(tmp_path: Path, alerts: object, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        settings_with(tmp_path, alerts)
    assert named in str(refused.value)


@pytest.mark.parametrize("channel", ["", "C 1", "#ict-leads", "ict-leads", "c0ictleads", "C0ICTLEADS\n"])
def test_a_lead_channel_that_is_no_channel_id_is_named(tmp_path: Path, channel: str) -> None:
    """As a digest's `channel`: alerts to it would fail only when the first breach is sent."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["desks"]["ict"]["lead_channel"] = channel
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as refused:
        load_settings({"SERVICEBOT_CONFIG": str(path), "SERVICEBOT_DATABASE_URL": "sqlite:///x.db"})
    assert f"desks.ict.lead_channel: Value error, {channel!r} is not a Slack channel id" in str(refused.value)
