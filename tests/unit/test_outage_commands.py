"""`outage start|end <service>` as people type it: a command when it is one, its usage when half typed, a
request to triage when it is someone describing a problem."""

from __future__ import annotations

import pytest

from servicebot.chat.commands import HELP, Command, CommandUsage, NewQuery, OutageCommand, parse, usage
from servicebot.domain.message import say


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("outage start email", OutageCommand("start", "email")),
        ("Outage START Email", OutageCommand("start", "email")),
        ("/outage start network", OutageCommand("start", "network")),
        ("outage start email  exchange   is down", OutageCommand("start", "email", "exchange   is down")),
        ("outage end email", OutageCommand("end", "email")),
        ("outage end email it is back", OutageCommand("end", "email")),
        ("outage", CommandUsage("outage", "outage")),
        ("outage start", CommandUsage("outage", "outage")),
        ("outage end", CommandUsage("outage", "outage")),
        ("outage email", CommandUsage("outage", "outage")),
        # Start and end mistyped: the command's usage, never a P1 ticket from a slip of the keyboard.
        ("outage begin email", CommandUsage("outage", "outage")),
        ("outage stop email it is back", CommandUsage("outage", "outage")),
        ("outage closed network", CommandUsage("outage", "outage")),
        ("outge", CommandUsage("outage", "outge", near_miss=True)),
        ("outage on the network at county hall", NewQuery("outage on the network at county hall")),
        ("there is an outage start to finish", NewQuery("there is an outage start to finish")),
    ],
)
def test_parse_outage_commands(line: str, expected: Command) -> None:
    assert parse(line) == expected


def test_a_half_typed_outage_gets_its_usage_not_a_ticket_reference() -> None:
    answer = str(say(*usage(CommandUsage("outage", "outage"))))
    assert "outage start <service> [note]" in answer and "outage end <service>" in answer
    assert "ticket reference" not in answer
    near = str(say(*usage(CommandUsage("outage", "outge", near_miss=True))))
    assert near.startswith("outge is not a command; did you mean outage start <service> [note]")


def test_help_lists_the_outage_commands() -> None:
    assert "outage start <service> [note]" in str(HELP)
    assert "outage end <service>" in str(HELP)
    assert parse("help outage") == parse("help")
