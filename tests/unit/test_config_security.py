"""Secrets only from the environment, never printed; the retention policy's setting checked at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from servicebot.config import ConfigError, load_settings
from tests.conftest import EXAMPLE_CONFIG


def _load(tmp_path: Path, changes: dict[str, Any], **env: str) -> Any:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config.update(changes)
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_settings({"SERVICEBOT_CONFIG": str(path), **env})


@pytest.mark.parametrize(
    ("changes", "key", "variable"),
    [
        ({"slack_bot_token": "xoxb-in-the-file"}, "slack_bot_token", "SLACK_BOT_TOKEN"),
        ({"slack_signing_secret": "s3cr3t-in-the-file"}, "slack_signing_secret", "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xapp-in-the-file"}, "SLACK_APP_TOKEN", "SLACK_APP_TOKEN"),
        ({"slack": {"signing_secret": "s3cr3t-in-the-file"}}, "slack.signing_secret", "SLACK_SIGNING_SECRET"),
        ({"database_url": "postgresql://u:pw-in-the-file@h/db"}, "database_url", "SERVICEBOT_DATABASE_URL"),
    ],
)
def test_a_secret_written_in_the_file_is_refused_naming_the_key_not_the_value(
    tmp_path: Path, changes: dict[str, Any], key: str, variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, changes)
    message = str(caught.value)
    assert f"{key}: secrets are read from the environment only" in message
    assert f"set {variable} instead" in message
    assert "in-the-file" not in message


def test_a_database_url_that_cannot_be_read_is_named_without_its_password() -> None:
    for url in ("postgresql+psycopg//app:hunter2@db.internal/servicebot", "post gres://app:hunter2@db/x"):
        with pytest.raises(ConfigError) as caught:
            load_settings({"SERVICEBOT_DATABASE_URL": url})
        assert "hunter2" not in str(caught.value)
        assert ":***@" in str(caught.value)


def test_the_shown_database_url_hides_its_password() -> None:
    settings = load_settings({"SERVICEBOT_DATABASE_URL": "postgresql+psycopg://app:hunter2@db.internal/sb"})
    assert "hunter2" not in settings.database_url_shown
    assert settings.database_url_shown == "postgresql+psycopg://app:***@db.internal/sb"


@pytest.mark.parametrize("days", [None, 1, 730, 36_500])
def test_the_retention_period_is_days_or_null(tmp_path: Path, days: int | None) -> None:
    settings = _load(tmp_path, {"retention": {"closed_ticket_text_days": days}})
    assert settings.retention.closed_ticket_text_days == days


def test_by_default_closed_tickets_text_is_kept(tmp_path: Path) -> None:
    assert _load(tmp_path, {}).retention.closed_ticket_text_days is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, "greater than or equal to 1"),
        (-5, "greater than or equal to 1"),
        (36_501, "less than or equal to 36500"),
        ("730", "a whole number of days"),
        (730.5, "a whole number of days"),
        (True, "a whole number of days"),
        ("two years", "a whole number of days"),
    ],
)
def test_a_bad_retention_period_names_the_key(tmp_path: Path, value: Any, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, {"retention": {"closed_ticket_text_days": value}})
    assert "retention.closed_ticket_text_days:" in str(caught.value)
    assert problem in str(caught.value)


def test_an_unknown_retention_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"retention\.closed_tickets_days: Extra inputs"):
        _load(tmp_path, {"retention": {"closed_tickets_days": 30}})
