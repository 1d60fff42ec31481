"""Roles from Slack user groups through the core's port, with a fake port and a clock the test moves: asked
at most once a period, the last membership kept while Slack cannot answer, nothing on a cold start but the
configured ids, a group Slack does not have gives nobody a role."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest
import yaml

from servicebot.config import ConfigError, Settings, load_settings
from servicebot.services.actors import Actor, Role
from servicebot.services.roles import GROUPS_TTL_SECONDS, GroupsUnavailable, RoleDirectory, UnknownGroup
from tests.conftest import EXAMPLE_CONFIG

AGENTS, LEADS, ICT_AGENTS, GONE = "S0AGENTS1", "S0LEADS01", "S0ICTDESK", "S0DELETED"


def settings(tmp_path: Path, roles: dict[str, object], **env: str) -> Settings:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["roles"] = roles
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_settings({"SERVICEBOT_CONFIG": str(path), **env})


class Slack:
    """The port: who is in each group, or a failure, and how often it was asked."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups
        self.asked: list[str] = []
        self.down = False

    def __call__(self, group: str) -> Collection[str]:
        self.asked.append(group)
        if self.down:
            raise GroupsUnavailable("connection refused")
        if group not in self.groups:
            raise UnknownGroup(group)
        return self.groups[group]


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def configured(tmp_path: Path) -> Settings:
    return settings(
        tmp_path,
        {
            "agents": ["U0FLAT"],
            "agent_groups": [AGENTS],
            "manager_groups": [LEADS, GONE],
            "desks": {"ict": {"agent_groups": [ICT_AGENTS]}},
        },
    )


def test_group_members_get_the_groups_role_and_desk(configured: Settings) -> None:
    slack = Slack({AGENTS: ["U0ANY"], LEADS: ["U0LEAD"], ICT_AGENTS: ["U0ICT"]})
    roles = RoleDirectory(configured, slack, clock=Ticks())
    assert roles.actor("U0ANY") == Actor("U0ANY", Role.AGENT)
    assert roles.actor("U0LEAD").role is Role.MANAGER
    assert roles.actor("U0ICT") == Actor("U0ICT", Role.AGENT, frozenset({"ict"}))
    assert roles.actor("U0FLAT") == Actor("U0FLAT", Role.AGENT)
    assert roles.actor("U0NOBODY") == Actor("U0NOBODY", Role.REQUESTER)


def test_slack_is_asked_once_a_period_however_many_requests(configured: Settings) -> None:
    slack, ticks = Slack({AGENTS: [], LEADS: ["U0LEAD"], ICT_AGENTS: []}), Ticks()
    roles = RoleDirectory(configured, slack, clock=ticks)
    for _ in range(20):
        roles.actor("U0LEAD")
    assert sorted(slack.asked) == sorted([AGENTS, LEADS, GONE, ICT_AGENTS])
    slack.groups[LEADS] = []  # removed from the group in Slack
    ticks.now += GROUPS_TTL_SECONDS - 1
    assert roles.actor("U0LEAD").role is Role.MANAGER  # still the period's answer
    ticks.now += 1
    assert roles.actor("U0LEAD").role is Role.REQUESTER
    assert len(slack.asked) == 8


def test_while_slack_is_down_the_last_membership_holds_and_it_is_asked_once_a_period(
    configured: Settings,
) -> None:
    slack, ticks = Slack({AGENTS: [], LEADS: ["U0LEAD"], ICT_AGENTS: []}), Ticks()
    roles = RoleDirectory(configured, slack, clock=ticks)
    assert roles.actor("U0LEAD").role is Role.MANAGER
    slack.down = True
    slack.asked.clear()
    ticks.now += GROUPS_TTL_SECONDS
    for _ in range(10):
        assert roles.actor("U0LEAD").role is Role.MANAGER
    assert len(slack.asked) == 1  # the first failure stands for every group, and for the period
    slack.down = False
    ticks.now += GROUPS_TTL_SECONDS
    slack.groups[LEADS] = []
    assert roles.actor("U0LEAD").role is Role.REQUESTER


def test_a_cold_start_with_slack_down_falls_back_to_the_configured_ids(configured: Settings) -> None:
    slack, ticks = Slack({LEADS: ["U0LEAD"]}), Ticks()
    slack.down = True
    roles = RoleDirectory(configured, slack, clock=ticks)
    assert roles.actor("U0LEAD").role is Role.REQUESTER
    assert roles.actor("U0FLAT").role is Role.AGENT  # configured ids never depend on Slack
    slack.down = False
    ticks.now += GROUPS_TTL_SECONDS
    assert roles.actor("U0LEAD").role is Role.MANAGER


def test_a_group_slack_does_not_have_gives_nobody_a_role_and_is_logged(
    configured: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    roles = RoleDirectory(configured, Slack({AGENTS: [], LEADS: [], ICT_AGENTS: []}), clock=Ticks())
    assert roles.actor("U0ANYONE").role is Role.REQUESTER
    assert f"roles.manager_groups: Slack has no user group {GONE}" in caplog.text


def test_without_a_port_only_configured_ids_count(configured: Settings) -> None:
    """The console and the command line: no Slack, so no groups."""
    roles = RoleDirectory(configured)
    assert roles.actor("U0FLAT").role is Role.AGENT
    assert roles.actor("U0LEAD").role is Role.REQUESTER


def test_roles_config_is_checked_by_key(tmp_path: Path) -> None:
    bad: dict[str, dict[str, object]] = {
        "roles.desks": {"desks": {"hr": {"agents": ["U1"]}}},
        "roles.agent_groups": {"agent_groups": ["@ict-team"]},
        "roles.managers": {"managers": ["S0614TZR7"]},
        "roles.desks.ict.agents": {"desks": {"ict": {"agents": ["U1 U2"]}}},
        "roles.desks.ict.oops": {"desks": {"ict": {"oops": ["U1"]}}},
    }
    said = {}
    for key, roles in bad.items():
        with pytest.raises(ConfigError) as refused:
            settings(tmp_path, roles)
        said[key] = str(refused.value)
    assert "roles: Value error, desks.hr: no desk 'hr'; choose one of: " in said["roles.desks"]
    assert "roles.agent_groups: " in said["roles.agent_groups"]
    assert "'@ict-team' is not a Slack user group id" in said["roles.agent_groups"]
    assert "'S0614TZR7' is a Slack user group id" in said["roles.managers"]
    assert "roles.desks.ict.agents" in said["roles.desks.ict.agents"]
    assert "roles.desks.ict.oops" in said["roles.desks.ict.oops"]


def test_admins_come_from_the_config_and_the_environment(tmp_path: Path) -> None:
    configured = settings(tmp_path, {"admins": ["U0ADMIN1"]}, SERVICEBOT_ADMINS="U0ADMIN2")
    assert configured.role_of("U0ADMIN1") == configured.role_of("U0ADMIN2") == "admin"
    roles = RoleDirectory(configured)
    assert roles.actor("U0ADMIN2") == Actor("U0ADMIN2", Role.ADMIN)
