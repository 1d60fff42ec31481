"""Replies as models: what to say, with user ids and structure, never markup. Each front end renders them
(`handlers.blocks.render_reply` for Slack, `servicebot.console.render` for a terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from servicebot.domain.message import Message
from servicebot.domain.tickets import Ticket
from servicebot.services.intake import Intake, Source
from servicebot.services.stats import DeskStats
from servicebot.services.tickets import Outcome


@dataclass(frozen=True)
class TextReply:
    text: Message
    ok: bool = True


@dataclass(frozen=True)
class SmallTalkReply:
    """Not a request: answered as a person would, nothing logged. In an intake channel, not answered."""

    kind: str
    text: Message


@dataclass(frozen=True)
class ConfirmReply:
    """Too terse to tell: "Shall I log this as a ticket?", with what logging it takes if they say yes."""

    question: Message
    text: str
    requester: str
    source: Source
    desk: str | None


@dataclass(frozen=True)
class IntakeReply:
    intake: Intake


@dataclass(frozen=True)
class TicketReply:
    ticket: Ticket
    message: Message = field(default_factory=Message)
    outcome: Outcome | None = None
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketListReply:
    title: str
    tickets: tuple[Ticket, ...]


@dataclass(frozen=True)
class ServiceOut:
    """A service with an open outage, as `status` shows it."""

    service: str
    title: str
    since: datetime
    by: str
    note: str = ""
    planned: bool = False


@dataclass(frozen=True)
class StatusReply:
    desk: str | None
    rows: tuple[tuple[str, str, int], ...] = field(default=())
    # Services are the council's, not a desk's: every status shows those out.
    outages: tuple[ServiceOut, ...] = ()


@dataclass(frozen=True)
class StatsReply:
    """A desk's stats (`stats …`, managers). In Slack the headline KPI's trend chart follows in the thread."""

    stats: DeskStats


Reply = (
    TextReply
    | SmallTalkReply
    | ConfirmReply
    | IntakeReply
    | TicketReply
    | TicketListReply
    | StatusReply
    | StatsReply
)
