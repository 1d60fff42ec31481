"""Breach alerts to KPI owners, as rules without I/O: when a KPI's state opens an episode, and what each open
episode is owed now (a reminder, an escalation to the director, a recovery message).

The input is the dashboard's own rows (RAG and expected range judged by `kpi_rules`, never again here) and
the episodes already recorded; the output is a list of actions, each of which the caller records and sends
through the outbox in one transaction. Deciding again with nothing changed gives nothing new: an episode
is keyed by its fingerprint (KPI, period, state), and every action is due once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.kpis import ActivityRow, InRange, KpiRow, Rag


class State(StrEnum):
    AMBER = "AMBER"
    RED = "RED"
    ABOVE = "Above"  # an activity indicator above its expected range
    BELOW = "Below"


# How bad each state is, to tell worsening (a new alert) from improving (said in the episode's thread).
_SEVERITY = {State.AMBER: 1, State.RED: 2, State.ABOVE: 1, State.BELOW: 1}


@dataclass(frozen=True)
class Reading:
    """A KPI's state as the dashboard judges it now. `state` None with `known` True: on target or in range.
    Not `known`: no value, or suspended: nothing opens and nothing recovers on it."""

    ref: str
    period: str | None  # YYYY-MM of the value judged
    state: State | None
    known: bool
    urgent: bool = False
    suspended: bool = False


def reading_of(row: KpiRow | ActivityRow, urgent: bool = False) -> Reading:
    definition = row.definition
    period = None if row.shown is None else str(row.shown)
    if definition.suspended:
        return Reading(definition.ref, period, None, known=False, urgent=urgent, suspended=True)
    if isinstance(row, KpiRow):
        if row.rag is None:
            return Reading(definition.ref, period, None, known=False, urgent=urgent)
        state = {Rag.AMBER: State.AMBER, Rag.RED: State.RED}.get(row.rag)
        return Reading(definition.ref, period, state, known=True, urgent=urgent)
    if row.in_expected_range is None:
        return Reading(definition.ref, period, None, known=False, urgent=urgent)
    state = {InRange.ABOVE: State.ABOVE, InRange.BELOW: State.BELOW}.get(row.in_expected_range)
    return Reading(definition.ref, period, state, known=True, urgent=urgent)


def fingerprint(ref: str, period: str | None, state: State) -> str:
    return f"{ref}:{period or '-'}:{state.value}"


@dataclass(frozen=True)
class Episode:
    """One breach of one KPI, from the first alert to its close."""

    id: int
    ref: str
    period: str | None
    state: State
    opened_at: datetime
    urgent: bool = False
    sends: int = 0  # alerts and reminders sent to the owners
    last_sent_at: datetime | None = None
    acknowledged_by: str | None = None
    snoozed_until: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.ref, self.period, self.state)

    @property
    def answered(self) -> bool:
        """Someone took it on: acknowledged, or snoozed (which says "I know; remind me then")."""
        return self.acknowledged_by is not None or self.snoozed_until is not None


@dataclass(frozen=True)
class AlertPolicy:
    """`remind_at`: unanswered alerts are repeated at this local time on the next working day after the
    last one. `escalate_after`: working time unanswered before the director is told. Outside working
    hours (nights, weekends, bank holidays, closures) alerts wait for the next opening, unless urgent."""

    remind_at: time = time(9, 0)
    escalate_after: timedelta = timedelta(hours=16)  # two working days of 8 hours

    def __post_init__(self) -> None:
        if self.escalate_after <= timedelta(0):
            raise ValueError("escalate_after must be a positive duration")


# -- what is owed --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Open:
    """A new episode: its first alert goes to the owners (and the lead channel) at `at`."""

    reading: Reading
    at: datetime
    supersedes: Episode | None = None  # closed by this one (worse in the same period, or a later period)


@dataclass(frozen=True)
class Remind:
    episode: Episode
    at: datetime


@dataclass(frozen=True)
class Escalate:
    episode: Episode
    at: datetime


@dataclass(frozen=True)
class Improve:
    """Better but still in breach (RED to AMBER): said in the episode's thread, no new alert."""

    episode: Episode
    state: State


@dataclass(frozen=True)
class Close:
    """Recovered (said in the episode's thread), or suspended (closed without a word)."""

    episode: Episode
    reason: str
    announce: bool


Action = Open | Remind | Escalate | Improve | Close


def deliver_at(now: datetime, calendar: WorkingCalendar, urgent: bool) -> datetime:
    """Now, if people are at work (or it cannot wait); otherwise the next opening time."""
    if urgent:
        return now
    for day in _working_days(now.astimezone(calendar.tz).date(), calendar):
        hours = calendar.working_hours_of(day)
        assert hours is not None  # a working day has hours
        opens, closes = hours
        if now < closes:
            return max(now, opens)
    raise AssertionError("unreachable: _working_days raises first")


def next_reminder(last: datetime, calendar: WorkingCalendar, policy: AlertPolicy) -> datetime:
    """`remind_at` on the first working day after the day of `last` (local)."""
    day = next(_working_days(last.astimezone(calendar.tz).date() + timedelta(days=1), calendar))
    return datetime.combine(day, policy.remind_at, calendar.tz)


def _working_days(first: date, calendar: WorkingCalendar) -> Iterator[date]:
    """Working days from `first` on, for a year: a calendar with none in a year is a configuration fault."""
    for offset in range(366):
        day = first + timedelta(days=offset)
        if calendar.is_working_day(day):
            yield day
    raise ValueError("no working day within a year: check the working calendar")


def plan(
    readings: Iterable[Reading],
    episodes: Sequence[Episode],
    now: datetime,
    calendar: WorkingCalendar,
    policy: AlertPolicy,
) -> list[Action]:
    """What is owed now. `episodes` are the open ones (at most one per KPI)."""
    open_by_ref = {e.ref: e for e in episodes}
    actions: list[Action] = []
    for reading in readings:
        episode = open_by_ref.get(reading.ref)
        actions.extend(_for_kpi(reading, episode, now, calendar, policy))
    return actions


def _for_kpi(
    reading: Reading, episode: Episode | None, now: datetime, calendar: WorkingCalendar, policy: AlertPolicy
) -> list[Action]:
    if reading.suspended:
        return [] if episode is None else [Close(episode, "suspended", announce=False)]
    if not reading.known:
        return []  # no judgement without a figure: nothing opens, nothing recovers
    if reading.state is None:
        return [] if episode is None else [Close(episode, "recovered", announce=True)]
    if episode is None:
        return [Open(reading, deliver_at(now, calendar, reading.urgent))]
    if reading.period != episode.period or _SEVERITY[reading.state] > _SEVERITY[episode.state]:
        # A later period still (or newly) in breach, or worse in the same one: a new alert.
        return [Open(reading, deliver_at(now, calendar, reading.urgent), supersedes=episode)]
    if reading.state != episode.state:
        return [Improve(episode, reading.state)]
    return _owed(episode, now, calendar, policy)


def _owed(episode: Episode, now: datetime, calendar: WorkingCalendar, policy: AlertPolicy) -> list[Action]:
    last = episode.last_sent_at
    if episode.acknowledged_by is not None or last is None:
        return []  # taken on; or its first alert is still on its way
    snoozed = episode.snoozed_until
    if snoozed is not None and now < snoozed:
        return []
    if snoozed is not None and last < snoozed:
        return [Remind(episode, deliver_at(now, calendar, episode.urgent))]  # "remind me then": it is then
    actions: list[Action] = []
    if now >= next_reminder(last, calendar, policy):
        actions.append(Remind(episode, deliver_at(now, calendar, episode.urgent)))
    if (
        episode.escalated_at is None
        and not episode.answered
        and calendar.working_time(episode.opened_at, now) >= policy.escalate_after
    ):
        actions.append(Escalate(episode, deliver_at(now, calendar, episode.urgent)))
    return actions


def snooze_until(
    now: datetime, working_days: int, calendar: WorkingCalendar, policy: AlertPolicy
) -> datetime:
    """ "Snooze for N working days": the reminder time on the Nth working day after today (local)."""
    if working_days < 1:
        raise ValueError("snooze for at least one working day")
    days = _working_days(now.astimezone(calendar.tz).date() + timedelta(days=1), calendar)
    for _ in range(working_days - 1):
        next(days)
    return datetime.combine(next(days), policy.remind_at, calendar.tz)
