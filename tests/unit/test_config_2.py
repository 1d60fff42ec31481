"""servicebot.yaml mistakes a desk lead makes: each is one line naming the file, the key and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from servicebot.config import ConfigError, load_settings
from tests.conftest import EXAMPLE_CONFIG


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SERVICEBOT_CONFIG": str(path)})
    message = str(raised.value)
    assert "\n" not in message, message
    return message


def _example_with(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "servicebot.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_broken_yaml_is_one_line_with_where(tmp_path: Path) -> None:
    path = tmp_path / "servicebot.yaml"
    path.write_text("timezone: Europe/London\ndesks: [unclosed\n", encoding="utf-8")
    message = _refusal(path)
    assert message.startswith(f"SERVICEBOT_CONFIG: {path}: invalid YAML at line 3, column 1: "), message
    assert "expected ',' or ']'" in message


def test_a_file_that_is_not_utf8_says_so_without_a_date_hint(tmp_path: Path) -> None:
    path = tmp_path / "servicebot.yaml"
    path.write_bytes(b"timezone: Europe/London\n\xff\xfe\x00binary\x80\n")
    message = _refusal(path)
    assert message.startswith(f"SERVICEBOT_CONFIG: {path}: not UTF-8 (line 2, byte 0xff)"), message
    assert "date" not in message


def test_an_impossible_date_keeps_its_hint_and_says_where(tmp_path: Path) -> None:
    message = _refusal(_example_with(tmp_path, "closures: []", "closures: [2026-02-30]"))
    assert "invalid YAML at line" in message and "'2026-02-30' is not a real date" in message, message
    assert "YYYY-MM-DD" in message


def test_a_top_level_key_given_twice_is_refused_naming_it(tmp_path: Path) -> None:
    path = _example_with(tmp_path, "timezone: Europe/London", "timezone: Europe/London\ntimezone: UTC")
    message = _refusal(path)
    first = EXAMPLE_CONFIG.read_text(encoding="utf-8").splitlines().index("timezone: Europe/London") + 1
    assert f"at line {first + 1}, column 1: duplicate key 'timezone' (first at line {first})" in message


def test_a_nested_key_given_twice_is_refused_too(tmp_path: Path) -> None:
    path = _example_with(
        tmp_path, "    title: ICT Service Desk\n", "    title: ICT Service Desk\n    title: ICT\n"
    )
    assert "duplicate key 'title'" in _refusal(path)


def test_a_merge_key_may_still_be_overridden(tmp_path: Path) -> None:
    """`<<:` is YAML's way to share settings; a key beside it overriding the merged one is not a repeat."""
    path = tmp_path / "servicebot.yaml"
    path.write_text(
        "desks:\n"
        "  ict:\n"
        "    <<: &base {title: Base, default_queue: a, second_line_queue: b}\n"
        "    title: ICT\n"
        "    queues: [{id: a, title: A, line: 1}, {id: b, title: B, line: 2}]\n",
        encoding="utf-8",
    )
    settings = load_settings({"SERVICEBOT_CONFIG": str(path)})
    assert settings.desks["ict"].title == "ICT"


def test_agents_with_spaces_instead_of_commas_are_refused(tmp_path: Path) -> None:
    message = _refusal(_example_with(tmp_path, "agents: []", 'agents: "U0A U0B"'))
    assert "roles.agents" in message and "'U0A U0B' is not a Slack user id" in message, message


def test_agents_as_a_comma_separated_string_are_a_list(tmp_path: Path) -> None:
    path = _example_with(tmp_path, "agents: []", 'agents: "U0A,U0B"')
    assert load_settings({"SERVICEBOT_CONFIG": str(path)}).agents == {"U0A", "U0B"}


def test_a_second_line_queue_on_the_first_line_is_refused_naming_desk_and_key(tmp_path: Path) -> None:
    path = _example_with(tmp_path, "second_line_queue: ict-2nd-line", "second_line_queue: ict-service-desk")
    message = _refusal(path)
    assert f"invalid configuration in {path}: desks.ict: " in message, message
    assert "second_line_queue 'ict-service-desk' is a line-1 queue" in message
    assert "default_queue 'ict-service-desk' (line 1)" in message


def test_several_problems_are_still_one_line(tmp_path: Path) -> None:
    path = _example_with(tmp_path, "timezone: Europe/London", "timezone: Mars/Olympus\nextra: 1")
    message = _refusal(path)
    assert "timezone: " in message and "extra: " in message and "; " in message, message
