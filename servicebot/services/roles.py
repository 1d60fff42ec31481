"""Who a person is: their role from the configuration's ids and from Slack user groups.

The core never talks to Slack: it asks a `GroupMembers` port for a group's members, and the Slack
front end implements it (`handlers/roles.py`, `usergroups.users.list`). The console and the command line
have no port, so there the configured ids alone decide.

Membership is cached for `GROUPS_TTL_SECONDS`: a request waits on Slack at most once a period, whatever
happens. When Slack cannot answer, the last membership it gave stays in force until it can (and the
configured ids always count); on a cold start with Slack down nobody is in any group, so group members
act with what their configured ids give them (usually: requester) until the next period's try succeeds.
A group Slack says does not exist has no members; it is logged, naming the key that lists it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import Protocol

from servicebot.config import Settings
from servicebot.services.actors import Actor, Role

log = logging.getLogger("servicebot.roles")

GROUPS_TTL_SECONDS = 300.0


class UnknownGroup(Exception):
    """Slack says there is no such user group (deleted, or an id from another workspace)."""


class GroupsUnavailable(Exception):
    """Slack could not say who is in a group now (unreachable, rate limited, a scope missing)."""


class GroupMembers(Protocol):
    """A user group's members' ids; raises UnknownGroup or GroupsUnavailable."""

    def __call__(self, group: str) -> Collection[str]: ...


class RoleDirectory:
    def __init__(
        self,
        settings: Settings,
        members: GroupMembers | None = None,
        *,
        ttl: float = GROUPS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._members = members
        self._ttl = ttl
        self._clock = clock
        self._groups = settings.roles.groups()  # group id → the key naming it
        self._known: dict[str, frozenset[str]] = {}
        self._asked_at: float | None = None
        self._lock = threading.Lock()

    def attach(self, members: GroupMembers) -> None:
        """The Slack front end's port; until it is attached only configured ids count."""
        with self._lock:
            self._members = members
            self._asked_at = None

    def actor(self, user: str) -> Actor:
        settings, roles = self.settings, self.settings.roles
        in_groups = self._membership(user)

        def named(ids: Collection[str], groups: Collection[str]) -> bool:
            return user in ids or any(group in in_groups for group in groups)

        if named(settings.admins, roles.admin_groups):
            return Actor(user, Role.ADMIN)
        if named(settings.managers, roles.manager_groups):
            return Actor(user, Role.MANAGER)
        if named(settings.agents, roles.agent_groups):
            return Actor(user, Role.AGENT)
        desks = frozenset(desk for desk, own in roles.desks.items() if named(own.agents, own.agent_groups))
        if desks:
            return Actor(user, Role.AGENT, desks)
        return Actor(user, Role.REQUESTER)

    def _membership(self, user: str) -> frozenset[str]:
        """The configured groups `user` is in, as last known."""
        if not self._groups:
            return frozenset()
        with self._lock:
            if self._members is not None and self._due():
                self._refresh(self._members)
            return frozenset(group for group, members in self._known.items() if user in members)

    def _due(self) -> bool:
        return self._asked_at is None or self._clock() - self._asked_at >= self._ttl

    def _refresh(self, members: GroupMembers) -> None:
        # Marked asked before asking: if Slack hangs or fails, nobody asks again until the period is over.
        self._asked_at = self._clock()
        for group, key in self._groups.items():
            try:
                self._known[group] = frozenset(members(group))
            except UnknownGroup:
                log.warning("%s: Slack has no user group %s; it gives nobody a role", key, group)
                self._known[group] = frozenset()
            except GroupsUnavailable as exc:
                # One failure stands for all: Slack is down or refusing, and asking for each group would
                # make this request wait once per group. The last membership stays in force.
                log.warning(
                    "Slack user groups unavailable (%s); using the membership last known (%s) and the "
                    "configured ids, asking again in %.0f s",
                    exc,
                    "none yet" if not self._known else f"{len(self._known)} group(s)",
                    self._ttl,
                )
                return
