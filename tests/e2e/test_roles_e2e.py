"""Roles through the real Slack app (signed requests in, Web API calls out to the fake Slack): a requester
pressing an agent's button is told why, privately, and nothing changes; members of a configured Slack user
group get the group's role (read with usergroups.users.list); a group Slack does not have stops the bot at
start naming the key, while a Slack that cannot say who is in a group does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import bot
from handlers import blocks as b
from servicebot.bootstrap import build_services
from servicebot.config import ConfigError
from servicebot.domain.tickets import Status
from tests.conftest import EXAMPLE_CONFIG, make_settings
from tests.support.cli import servicebot
from tests.support.fake_slack import BOT_TOKEN, Call, FakeSlack
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import fresh_ts, message_event

INTAKE = "C0ICTHELP"
REQUESTER = "U0REQUESTER"
ICT_AGENTS, DESK_LEADS = "S0ICTAGENTS", "S0DESKLEADS"
GROUP_AGENT, GROUP_LEAD = "U0GROUPAGENT", "U0GROUPLEAD"


def _config(tmp_path: Path, **roles: object) -> str:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["roles"] = roles or {
        "manager_groups": [DESK_LEADS],
        "desks": {"ict": {"agent_groups": [ICT_AGENTS]}},
    }
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(
        tmp_path,
        usergroups={ICT_AGENTS: [GROUP_AGENT], DESK_LEADS: [GROUP_LEAD]},
        SERVICEBOT_CONFIG=_config(tmp_path),
        SERVICEBOT_AGENTS="",
        SERVICEBOT_MANAGERS="",
    ) as app:
        yield app


def _logged(live: LiveApp) -> tuple[int, str, str]:
    ts = fresh_ts()
    live.sender.send_event(message_event("the desk phone in room 4 has no dial tone", user=REQUESTER, ts=ts))
    [card] = live.slack.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    live.settled()
    [ticket] = live.tickets()
    return ticket.id, str(card.response["ts"]), ts


def _ephemerals(live: LiveApp, user: str, count: int) -> list[Call]:
    return live.slack.wait_for("chat.postEphemeral", count=count, where=lambda c: c.args.get("user") == user)


def test_a_requester_pressing_agent_buttons_is_told_why_and_nothing_changes(live: LiveApp) -> None:
    ticket_id, card_ts, ts = _logged(live)
    before = live.services.queries.history(ticket_id)
    updates = len(live.slack.calls_to("chat.update"))
    pressed = [
        (b.ASSIGN, str(ticket_id)),
        (b.RESOLVE, str(ticket_id)),
        (b.ESCALATE, str(ticket_id)),
        (b.INTENT, f"{ticket_id}:printer_problem"),
    ]
    for action, value in pressed:
        live.sender.send_action(action, value, user_id=REQUESTER, message_ts=card_ts, thread_ts=ts)
    refusals = _ephemerals(live, REQUESTER, len(pressed))
    live.settled()
    for refusal in refusals:
        text = refusal.args["text"]
        assert text.startswith(":warning: Only agents of the ict desk (or a manager) can "), text
        assert f"You ({REQUESTER}) are a requester." in text
        assert "roles.desks.ict.agent_groups" in text  # how to get the role
    assert live.services.queries.history(ticket_id) == before
    assert live.services.queries.get(ticket_id).status is Status.TRIAGED
    assert len(live.slack.calls_to("chat.update")) == updates  # the card was not redrawn


def test_a_member_of_the_desks_agent_group_works_its_tickets(live: LiveApp) -> None:
    ticket_id, card_ts, ts = _logged(live)
    live.sender.send_action(b.ASSIGN, str(ticket_id), user_id=GROUP_AGENT, message_ts=card_ts, thread_ts=ts)
    live.slack.wait_for("chat.update", where=lambda c: c.args.get("ts") == card_ts)
    live.settled()
    assert live.services.queries.get(ticket_id).assignee == GROUP_AGENT
    asked = {c.args["usergroup"] for c in live.slack.calls_to("usergroups.users.list") if c.ok}
    assert asked == {ICT_AGENTS, DESK_LEADS}


def test_a_member_of_the_leads_group_gets_stats_and_an_agent_does_not(live: LiveApp) -> None:
    live.sender.send_command(text="stats", user_id=GROUP_LEAD)
    live.sender.send_command(text="stats", user_id=GROUP_AGENT)
    answers = live.slack.wait_for("response_url", count=2)
    live.settled()
    by_text = sorted(str(a.args["text"]) for a in answers)
    refused = [t for t in by_text if t.startswith(":warning: Desk-wide stats are for managers")]
    assert len(refused) == 1 and f"You ({GROUP_AGENT}) are an agent of ict only." in refused[0]
    assert "roles.manager_groups" in refused[0]


def test_a_user_group_slack_does_not_have_stops_the_bot_at_start_naming_the_key(tmp_path: Path) -> None:
    with FakeSlack(usergroups={DESK_LEADS: [GROUP_LEAD]}) as slack:
        settings = make_settings(
            tmp_path,
            SERVICEBOT_CONFIG=_config(tmp_path, manager_groups=[DESK_LEADS, "S0NOSUCHGROUP"]),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
        )
        services = build_services(settings)
        try:
            with pytest.raises(ConfigError) as refused:
                bot.build_slack_app(services)
        finally:
            services.close()
    said = str(refused.value)
    assert said.startswith("roles.manager_groups: Slack has no user group S0NOSUCHGROUP"), said


def test_slack_unable_to_answer_for_groups_at_start_does_not_stop_the_bot(tmp_path: Path) -> None:
    with FakeSlack(usergroups={DESK_LEADS: [GROUP_LEAD]}) as slack:
        slack.server_error_next("usergroups.users.list")
        settings = make_settings(
            tmp_path,
            SERVICEBOT_CONFIG=_config(tmp_path, manager_groups=[DESK_LEADS]),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
        )
        services = build_services(settings)
        try:
            app = bot.build_slack_app(services)
            assert app.context.services is services
            # Asked again on the first request, as the cache was never filled: the group counts then.
            assert services.actor(GROUP_LEAD).role.value == "manager"
        finally:
            services.close()


def test_a_missing_usergroups_scope_stops_the_bot_at_start_saying_which(tmp_path: Path) -> None:
    with FakeSlack(usergroups={DESK_LEADS: [GROUP_LEAD]}) as slack:
        slack.fail_next("usergroups.users.list", "missing_scope")
        settings = make_settings(
            tmp_path,
            SERVICEBOT_CONFIG=_config(tmp_path, manager_groups=[DESK_LEADS]),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
        )
        services = build_services(settings)
        try:
            with pytest.raises(ConfigError, match="needs the usergroups:read bot scope"):
                bot.build_slack_app(services)
        finally:
            services.close()


def test_serve_with_a_group_slack_does_not_have_is_one_line_and_status_2(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        result = servicebot(
            tmp_path,
            "serve",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            SERVICEBOT_CONFIG=_config(tmp_path, desks={"contact": {"agent_groups": ["S0NOSUCHGROUP"]}}),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=slack.api_url,
        )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        "servicebot: roles.desks.contact.agent_groups: Slack has no user group S0NOSUCHGROUP"
    ), line


def test_the_worker_process_reads_user_groups_too(tmp_path: Path) -> None:
    """Production's worker is a process of its own, with its own services: it attaches the port itself."""
    with live_app(
        tmp_path,
        worker_process=True,
        usergroups={ICT_AGENTS: [GROUP_AGENT], DESK_LEADS: [GROUP_LEAD]},
        SERVICEBOT_CONFIG=_config(tmp_path),
        SERVICEBOT_AGENTS="",
        SERVICEBOT_MANAGERS="",
    ) as live:
        ticket_id, card_ts, ts = _logged(live)
        live.sender.send_action(
            b.ASSIGN, str(ticket_id), user_id=GROUP_AGENT, message_ts=card_ts, thread_ts=ts
        )
        live.slack.wait_for("chat.update", where=lambda c: c.args.get("ts") == card_ts, timeout=30)
        live.settled()
        assert live.services.queries.get(ticket_id).assignee == GROUP_AGENT
