"""Slack user groups for the core's roles: the `GroupMembers` port (`servicebot.services.roles`) answered
with `usergroups.users.list`, and the configured groups checked at start.

The lookup has a client of its own: a short timeout and no retries, because it runs while a person waits
for an answer, and the core's cache already decides when to ask again (a Slack that is down costs one
wait a period, not one per request nor the shared client's retries)."""

from __future__ import annotations

import logging
from collections.abc import Collection

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from servicebot.config import ConfigError, Settings
from servicebot.services.roles import GroupsUnavailable, UnknownGroup

log = logging.getLogger("servicebot.slack")
LOOKUP_TIMEOUT_SECONDS = 5
# What Slack says of a group id it has no group for.
NO_SUCH_GROUP = frozenset({"no_such_subteam", "subteam_not_found"})


class SlackGroupMembers:
    """`GroupMembers` through Slack's Web API (needs the usergroups:read scope)."""

    def __init__(self, settings: Settings) -> None:
        self.client = WebClient(
            token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=LOOKUP_TIMEOUT_SECONDS
        )
        self.client.retry_handlers.clear()

    def __call__(self, group: str) -> Collection[str]:
        try:
            response = self.client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error in NO_SUCH_GROUP:
                raise UnknownGroup(group) from None
            raise GroupsUnavailable(f"usergroups.users.list: {error}") from None
        except Exception as exc:  # unreachable, timed out, an answer that is not JSON: all "not now"
            raise GroupsUnavailable(f"usergroups.users.list: {type(exc).__name__}: {exc}") from None
        users = response.get("users")
        if not isinstance(users, list):
            raise GroupsUnavailable("usergroups.users.list: an answer without users")
        return [str(user) for user in users]


def check_groups(members: SlackGroupMembers, settings: Settings) -> None:
    """At start: a configured group Slack says does not exist, or a missing scope, is one line naming the
    key (a ConfigError), as any other bad configuration is, rather than people silently lacking a role.
    A Slack that cannot answer now is only logged: roles fall back to the configured ids meanwhile."""
    for group, key in settings.roles.groups().items():
        try:
            members(group)
        except UnknownGroup:
            raise ConfigError(
                f"{key}: Slack has no user group {group} in this workspace; copy the id from the group's "
                "link (People → User groups), or remove it"
            ) from None
        except GroupsUnavailable as exc:
            if "missing_scope" in str(exc):
                raise ConfigError(
                    f"{key}: reading user group {group} needs the usergroups:read bot scope; add it "
                    "(slack-app-manifest.yaml has it) and reinstall the app"
                ) from None
            log.warning(
                "%s: cannot read user group %s now (%s); roles use the configured ids", key, group, exc
            )
            return
