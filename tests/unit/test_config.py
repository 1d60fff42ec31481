"""load_settings: the example config, env merging, and a ConfigError naming the key for each bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicebot.config import DEFAULT_DATABASE_URL, ConfigError, Settings, UnknownDesk, load_settings
from servicebot.domain.errors import UserError
from tests.conftest import EXAMPLE_CONFIG

Mutation = Callable[[dict[str, Any]], None]


def example() -> dict[str, Any]:
    loaded = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def write_config(tmp_path: Path, config: dict[str, Any] | str, name: str = "servicebot.yaml") -> Path:
    path = tmp_path / name
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config), encoding="utf-8")
    return path


def load(path: Path, **env: str) -> Settings:
    return load_settings({"SERVICEBOT_CONFIG": str(path), **env})


def test_example_config_loads() -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    assert settings.timezone == "Europe/London"
    assert str(settings.tz) == "Europe/London"
    assert set(settings.desks) == {"ict", "contact"}
    ict = settings.desk("ict")
    assert ict.id == "ict"
    assert ict.default_queue == "ict-service-desk"
    assert ict.second_line_queue == "ict-2nd-line"
    first_line = ict.queue("ict-service-desk")
    assert first_line is not None and first_line.line == 1
    assert ict.queue("ict-nowhere") is None
    assert settings.desks["contact"].id == "contact"
    assert settings.default_desk.id == "ict"
    assert settings.working_hours.start == time(8, 0)
    assert settings.working_hours.end == time(18, 0)
    assert settings.working_hours.days == ("mon", "tue", "wed", "thu", "fri")
    assert settings.desk_for_channel("C0ICTHELP") is ict
    assert settings.desk_for_channel("C0CCTRIAGE") is settings.desks["contact"]
    assert settings.desk_for_channel("C0ELSEWHERE") is None
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_bot_token is None
    assert settings.config_path == str(EXAMPLE_CONFIG)
    assert settings.agents == frozenset() and settings.managers == frozenset()


def test_unknown_desk_lookup_names_the_desk_and_the_choices() -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    with pytest.raises(UnknownDesk, match=r"'nowhere'.*ict, contact") as raised:
        settings.desk("nowhere")
    assert isinstance(raised.value, UserError), "a person named it: every front end answers it in words"


def test_env_role_lists_merge_with_yaml_roles(tmp_path: Path) -> None:
    config = example()
    config["roles"] = {"agents": ["U0YAMLAGENT"], "managers": ["U0YAMLBOSS"]}
    settings = load(
        write_config(tmp_path, config),
        SERVICEBOT_AGENTS=" U0ENVAGENT1, U0ENVAGENT2,,",
        SERVICEBOT_MANAGERS="U0ENVBOSS",
    )
    assert settings.agents == {"U0YAMLAGENT", "U0ENVAGENT1", "U0ENVAGENT2"}
    assert settings.managers == {"U0YAMLBOSS", "U0ENVBOSS"}
    assert settings.role_of("U0ENVAGENT2") == "agent"
    assert settings.role_of("U0YAMLAGENT") == "agent"
    assert settings.role_of("U0YAMLBOSS") == "manager"
    assert settings.role_of("U0ENVBOSS") == "manager"
    assert settings.role_of("U0SOMEONE") == "requester"
    assert settings.role_of("") == "requester"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "SERVICEBOT_MANAGERS",
            "U0BOSS U0DEPUTY",
            "SERVICEBOT_MANAGERS: 'U0BOSS U0DEPUTY' is not a Slack user id;",
        ),
        ("SERVICEBOT_AGENTS", "U0A;U0B", "SERVICEBOT_AGENTS: 'U0A;U0B' is not a Slack user id;"),
        ("SERVICEBOT_ADMINS", "U0ADMIN,S0123ABCD", "SERVICEBOT_ADMINS: 'S0123ABCD' is a Slack user group id"),
    ],
)
def test_a_role_list_in_the_environment_that_names_nobody_is_refused(
    name: str, value: str, expected: str
) -> None:
    """A role silently empty leaves a manager told "not allowed" with no clue why: say so at start."""
    with pytest.raises(ConfigError) as raised:
        load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG), name: value})
    assert str(raised.value).startswith(expected)


def test_yaml_roles_accept_a_comma_string_and_manager_wins_over_agent(tmp_path: Path) -> None:
    config = example()
    config["roles"] = {"agents": "U0A, U0B", "managers": ["U0B"]}
    settings = load(write_config(tmp_path, config))
    assert settings.agents == {"U0A", "U0B"}
    assert settings.role_of("U0B") == "manager"
    assert settings.role_of("U0A") == "agent"


def test_env_overrides_for_urls_and_tokens(tmp_path: Path) -> None:
    settings = load(
        EXAMPLE_CONFIG,
        SERVICEBOT_DATABASE_URL="postgresql+psycopg://bot@db/servicebot",
        SLACK_BOT_TOKEN="xoxb-1-2-3",
        SLACK_APP_TOKEN="xapp-1-2",
        SLACK_API_URL="http://localhost:9999/api",
    )
    assert settings.database_url == "postgresql+psycopg://bot@db/servicebot"
    assert settings.slack_bot_token == "xoxb-1-2-3"
    assert settings.slack_app_token == "xapp-1-2"
    assert settings.slack_api_url == "http://localhost:9999/api/"


def _set(path: tuple[str, ...], value: Any) -> Mutation:
    def mutate(config: dict[str, Any]) -> None:
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _duplicate_queue(config: dict[str, Any]) -> None:
    config["desks"]["ict"]["queues"].append({"id": "ict-network", "title": "Network again", "line": 2})


INVALID: dict[str, tuple[Mutation, tuple[str, ...]]] = {
    "unknown-timezone": (_set(("timezone",), "Mars/Olympus_Mons"), ("timezone", "Mars/Olympus_Mons")),
    "default-queue-not-a-queue": (
        _set(("desks", "ict", "default_queue"), "ict-nowhere"),
        ("desks.ict", "default_queue", "ict-nowhere"),
    ),
    "second-line-queue-not-a-queue": (
        _set(("desks", "contact", "second_line_queue"), "back-room"),
        ("desks.contact", "second_line_queue", "back-room"),
    ),
    "duplicate-queue-ids": (_duplicate_queue, ("desks.ict", "duplicate queue id", "ict-network")),
    "end-before-start": (
        _set(("working_hours",), {"start": "17:00", "end": "09:00"}),
        ("working_hours", "end must be later than start"),
    ),
    "end-equals-start": (
        _set(("working_hours",), {"start": "09:00", "end": "09:00"}),
        ("working_hours", "end must be later than start"),
    ),
    "unknown-top-level-key": (_set(("colour_scheme",), "blue"), ("colour_scheme", "Extra inputs")),
    "unknown-desk-key": (_set(("desks", "ict", "escalate_to"), "x"), ("desks.ict.escalate_to",)),
    "bad-queue-id": (
        _set(("desks", "ict", "queues"), [{"id": "ICT Desk", "title": "x", "line": 1}]),
        ("desks.ict.queues.0.id",),
    ),
    "unknown-weekday": (
        _set(("working_hours",), {"days": ["mon", "funday"]}),
        ("working_hours.days.1",),
    ),
    "confidence-out-of-range": (
        _set(("desks", "ict", "confidence_threshold"), 1.5),
        ("desks.ict.confidence_threshold",),
    ),
    "no-desks": (_set(("desks",), {}), ("desks", "at least one desk")),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_config_names_the_key(tmp_path: Path, name: str) -> None:
    mutate, expected = INVALID[name]
    config = example()
    mutate(config)
    path = write_config(tmp_path, config)
    with pytest.raises(ConfigError) as raised:
        load(path)
    message = str(raised.value)
    assert str(path) in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_same_intake_channel_in_two_desks(tmp_path: Path) -> None:
    config = example()
    config["desks"]["contact"]["intake_channels"] = ["C0CONTACT", "C0ICTHELP"]
    with pytest.raises(ConfigError) as raised:
        load(write_config(tmp_path, config))
    message = str(raised.value)
    assert "intake channel" in message
    assert "C0ICTHELP" in message
    assert "ict" in message and "contact" in message


def test_missing_file_named_by_servicebot_config(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "servicebot.yaml"
    with pytest.raises(ConfigError, match="SERVICEBOT_CONFIG") as raised:
        load(missing)
    assert str(missing) in str(raised.value)


@pytest.mark.parametrize(
    "text",
    ["desks: [unclosed\n", "timezone: Europe/London\n  desks: {ict: 1\n", "\tdesks:\n\t\t- x\n"],
    ids=["flow", "indent", "tabs"],
)
def test_malformed_yaml_names_the_file(tmp_path: Path, text: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match="invalid YAML at line") as raised:
        load(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("closures", ["[2026-02-30]", "[2026-13-45]"])
def test_an_impossible_date_names_the_file_not_a_traceback(tmp_path: Path, closures: str) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("closures: []", f"closures: {closures}")
    assert closures in text
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match="YYYY-MM-DD") as raised:
        load(path)
    assert str(path) in str(raised.value)


def test_working_hours_need_a_working_day(tmp_path: Path) -> None:
    """With no working day the calendar could never add working time: refused at start, naming the key."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("days: [mon, tue, wed, thu, fri]", "days: []")
    with pytest.raises(ConfigError, match=r"working_hours\.days"):
        load(write_config(tmp_path, text))


def test_closures_are_days_the_calendar_keeps_closed(tmp_path: Path) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("closures: []", "closures: [2026-12-24]")
    calendar = load(write_config(tmp_path, text)).calendar()
    assert not calendar.is_working_day(date(2026, 12, 24))
    assert calendar.is_working_day(date(2026, 12, 23))
    assert not calendar.is_working_day(date(2026, 12, 28)), "Boxing Day's substitute: a bank holiday"


def test_config_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "servicebot.yaml"
    path.write_bytes(b"timezone: Europe/London\ndesks: \xff\xfe\n")
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain words\n"])
def test_yaml_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match="expected a mapping") as raised:
        load(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("token", ["abc-123", "xapp-1-2", "Bearer xoxb-1"])
def test_bad_slack_bot_token_prefix(token: str) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        load(EXAMPLE_CONFIG, SLACK_BOT_TOKEN=token)


def test_bad_slack_app_token_prefix() -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        load(EXAMPLE_CONFIG, SLACK_APP_TOKEN="xoxb-1-2")


@pytest.mark.parametrize("url", ["servicebot.db", "localhost:5432/servicebot", "://x", " sqlite:///x.db"])
def test_bad_database_url(url: str) -> None:
    with pytest.raises(ConfigError, match="SERVICEBOT_DATABASE_URL") as raised:
        load(EXAMPLE_CONFIG, SERVICEBOT_DATABASE_URL=url)
    assert url in str(raised.value)


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file::memory:?cache=shared"])
def test_an_in_memory_database_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(ConfigError, match="SERVICEBOT_DATABASE_URL: an in-memory SQLite database cannot"):
        load(EXAMPLE_CONFIG, SERVICEBOT_DATABASE_URL=url)


def test_a_database_in_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    with pytest.raises(ConfigError, match="SERVICEBOT_DATABASE_URL") as raised:
        load(EXAMPLE_CONFIG, SERVICEBOT_DATABASE_URL=f"sqlite:///{missing / 'x.db'}")
    assert f"the folder {str(missing)!r} does not exist" in str(raised.value)
    assert load(EXAMPLE_CONFIG, SERVICEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")


def test_a_folder_given_as_the_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder; name a database file in it"):
        load(EXAMPLE_CONFIG, SERVICEBOT_DATABASE_URL=f"sqlite:///{tmp_path}")


def test_a_folder_given_as_the_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SERVICEBOT_CONFIG: .* is a folder; name the YAML file in it"):
        load(tmp_path)


def test_no_config_file_at_the_default_path_falls_back_to_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "servicebot.yaml").exists()
    settings = load_settings({"SERVICEBOT_AGENTS": "U0AGENT01"})
    assert "built-in defaults" in settings.config_path
    assert "ict" in settings.desks
    assert settings.default_desk.default_queue == "ict-service-desk"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.role_of("U0AGENT01") == "agent"


def test_config_file_at_the_default_path_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = example()
    config["timezone"] = "Europe/Dublin"
    write_config(tmp_path, config)
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.timezone == "Europe/Dublin"
    assert settings.config_path == "servicebot.yaml"


def test_unquoted_working_hours_are_not_silently_misread(tmp_path: Path) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('start: "08:00"', "start: 8:00").replace('end: "18:00"', "end: 17:30")
    assert "start: 8:00" in text and "end: 17:30" in text
    path = write_config(tmp_path, text)
    try:
        settings = load(path)
    except ConfigError as exc:
        assert "working_hours" in str(exc)
        return
    assert settings.working_hours.start == time(8, 0)
    assert settings.working_hours.end == time(17, 30)
