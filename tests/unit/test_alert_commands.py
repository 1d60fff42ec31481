"""`alerts` and `alert …` are commands only when unmistakably so: a request that starts with the word
"alert" is still a request."""

from __future__ import annotations

import pytest

from servicebot.chat.alerts import AlertCommand, AlertUsage
from servicebot.chat.commands import NewQuery, parse


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("alerts", AlertCommand("list")),
        ("/alerts", AlertCommand("list")),
        ("alert ack 3", AlertCommand("ack", 3)),
        ("alert acknowledge #3", AlertCommand("ack", 3)),
        ("ALERT Snooze 12 2", AlertCommand("snooze", 12, "2")),
        ("alert snooze 12 2026-12-24", AlertCommand("snooze", 12, "2026-12-24")),
        ("alert comment 4 a cause | an action", AlertCommand("comment", 4, "a cause | an action")),
    ],
)
def test_alert_commands(line: str, expected: AlertCommand) -> None:
    assert parse(line) == expected


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("alert", "say what to do"),
        ("alert ack", "needs the alert's number"),
        ("alert ack three", "needs the alert's number"),
        ("alert ack 3 now", "takes only the alert's number"),
        ("alert snooze 3", "how long"),
        ("alert comment 3", "a cause and an action"),
        ("alert frob 3", "'frob' is not something to do"),
        ("alert frob", "'frob' is not something to do"),
    ],
)
def test_alert_commands_gone_wrong_get_their_usage(line: str, problem: str) -> None:
    found = parse(line)
    assert isinstance(found, AlertUsage) and problem in found.problem


@pytest.mark.parametrize(
    "line",
    [
        "alert the network team please, the wifi is down",
        "alerts keep popping up on my screen",
        "alerting is broken",
    ],
)
def test_a_request_that_starts_with_alert_is_a_request(line: str) -> None:
    assert isinstance(parse(line), NewQuery)
