"""Outages end to end: typed in the real console, and sent as Slack's signed slash command to the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import AGENT
from tests.support.cli import servicebot
from tests.support.live_app import LiveApp, live_app

REQUESTER = "U0REQUESTER"


def test_console_agent_records_an_outage_that_status_shows(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "outage start email exchange is down",
            "status",
            "outage start email",
            "outage end email",
            "status",
            "outage end email",
            "outage start wifi",
            "outage",
            "help",
        ]
    )
    result = servicebot(tmp_path, "console", "--user", AGENT, stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.strip().split("\n\n")
    assert len(replies) == 9, replies
    started, status, twice, ended, after, not_out, unknown, usage, help_ = replies
    assert started.startswith("Email is recorded as out since ") and "by U0AGENT01" in started
    assert "Services out:" in status
    assert "Email (email) out since" in status and "recorded by U0AGENT01: exchange is down" in status
    assert twice.startswith("Sorry: Email (email) is already out")
    assert ended.startswith("Email is back: the outage since ")
    assert "Services out" not in after
    assert not_out.startswith("Sorry: Email (email) is not out")
    assert unknown == "Sorry: Unknown service 'wifi'; choose one of: network, ict, email."
    assert usage.startswith("Sorry: outage needs start or end and a service")
    assert "outage start <service> [note]" in help_
    for markup in ("*", "`", "<@"):
        assert markup not in result.stdout, markup


def test_console_requester_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    script = "outage start email\nstatus\n"
    result = servicebot(tmp_path, "console", "--user", "U0STAFF1", "--role", "requester", stdin=script)
    refused, status = result.stdout.strip().split("\n\n")
    assert refused.startswith("Sorry: Only service desk agents can record outages.")
    assert status == "No open tickets."


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        yield app


def test_slash_command_records_an_outage_and_status_shows_it(live: LiveApp) -> None:
    def answer(text: str, user: str) -> str:
        before = len(live.slack.calls_to("response_url"))
        assert live.sender.send_command(text=text, user_id=user).status == 200
        calls = live.slack.wait_for("response_url", count=before + 1)
        assert all(c.args["response_type"] == "ephemeral" for c in calls)
        return str(live.slack.calls_to("response_url")[-1].args["text"])

    refused = answer("outage start email", REQUESTER)
    assert "Only service desk agents can record outages" in refused
    assert live.services.outages.open_outages() == []

    started = answer("outage start email exchange is down", AGENT)
    assert started.startswith("*Email* is recorded as out since ") and f"by <@{AGENT}>" in started
    [out] = live.services.outages.open_outages()
    assert out.service == "email" and out.opened_by == AGENT and out.note == "exchange is down"

    before = len(live.slack.calls_to("response_url"))
    live.sender.send_command(text="status", user_id=REQUESTER)
    [*_, status] = live.slack.wait_for("response_url", count=before + 1)
    shown = str(status.args["blocks"])
    assert "*Services out*" in shown and "*Email* (`email`) out since" in shown
    assert f"recorded by <@{AGENT}>: exchange is down" in shown

    assert "is already out" in answer("outage start email", AGENT)
    assert "choose one of: network, ict, email" in answer("outage start wifi", AGENT)
    assert answer("outage end email", AGENT).startswith("*Email* is back")
    assert live.services.outages.open_outages() == []
    assert "is not out" in answer("outage end email", AGENT)
