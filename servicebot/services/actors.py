"""Who is acting, and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from servicebot.domain.errors import NotAllowed
from servicebot.domain.tickets import Ticket


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    MANAGER = "manager"


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role = Role.REQUESTER

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.AGENT, Role.MANAGER)


def require_staff(actor: Actor, verb: str) -> None:
    if not actor.is_staff:
        raise NotAllowed(
            f"Only service desk agents can {verb}. Ask a team lead to add you to the agents role "
            "(roles.agents in servicebot.yaml or SERVICEBOT_AGENTS)."
        )


def require_requester_or_staff(actor: Actor, ticket: Ticket, verb: str) -> None:
    if actor.id != ticket.requester and not actor.is_staff:
        raise NotAllowed(f"Only the person who raised {ticket.ref} or an agent can {verb}.")
