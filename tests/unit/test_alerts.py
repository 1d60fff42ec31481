"""Breach episodes: when a KPI's state opens one, and what each open episode is owed (reminder,
escalation, recovery), on the council's calendar (Europe/London, 08:00-18:00 weekdays, England and Wales
bank holidays)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicebot.domain.alerts import (
    AlertPolicy,
    Close,
    Episode,
    Escalate,
    Improve,
    Open,
    Reading,
    Remind,
    State,
    deliver_at,
    fingerprint,
    plan,
    reading_of,
)
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.kpis import ActivityRow, InRange, KpiKind, KpiRow, Rag
from servicebot.domain.periods import Period
from tests.support.dashboards import definition

LONDON = ZoneInfo("Europe/London")
CALENDAR = WorkingCalendar(LONDON, time(8), time(18), range(5))
POLICY = AlertPolicy()


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A London wall time in December 2026 (GMT, so also UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def red(ref: str = "ICT04", period: str = "2026-11", urgent: bool = False) -> Reading:
    return Reading(ref, period, State.RED, known=True, urgent=urgent)


def episode(**changes: object) -> Episode:
    base = Episode(1, "ICT04", "2026-11", State.RED, opened_at=at(1, 10), sends=1, last_sent_at=at(1, 10))
    return replace(base, **changes)  # type: ignore[arg-type]


# -- readings: the dashboard's own judgement -------------------------------------------------------------
def test_a_reading_takes_the_dashboards_rag_and_range_as_they_are() -> None:
    kpi = definition("ICT04", "Availability", target=99.5, floor=99.0)
    row = KpiRow(kpi, Period(2026, 11), 98.7, Rag.RED, None, None, None, 99.5, 99.0, None)
    assert reading_of(row) == Reading("ICT04", "2026-11", State.RED, known=True)
    assert (
        reading_of(replace(row, rag=Rag.GREEN)).state is None
        and reading_of(replace(row, rag=Rag.GREEN)).known
    )
    assert not reading_of(replace(row, rag=None, value=None)).known
    suspended = reading_of(replace(row, definition=replace(kpi, suspended=True)))
    assert suspended.suspended and not suspended.known
    activity = definition("CS08", "Calls", kind=KpiKind.ACTIVITY, upper=10, lower=5)
    act = ActivityRow(activity, Period(2026, 11), 12, 12, InRange.ABOVE, 10, 5, None)
    assert reading_of(act).state is State.ABOVE
    assert reading_of(replace(act, in_expected_range=InRange.YES)).state is None


# -- opening ---------------------------------------------------------------------------------------------
def test_a_breach_in_working_hours_alerts_at_once_and_once() -> None:
    [action] = plan([red()], [], at(1, 10), CALENDAR, POLICY)
    assert action == Open(red(), at(1, 10))
    # Recorded as an episode, the same state asks for nothing more until its reminder is due.
    assert (
        plan([red()], [episode(opened_at=at(1, 10), last_sent_at=at(1, 10))], at(1, 17), CALENDAR, POLICY)
        == []
    )


@pytest.mark.parametrize(
    ("now", "delivered"),
    [
        (at(1, 19), at(2, 8)),  # Tuesday evening: Wednesday's opening
        (at(4, 18, 30), at(7, 8)),  # Friday evening: Monday's
        (at(25, 12), at(29, 8)),  # Christmas Day (Friday): then Saturday, Sunday, the substitute Boxing Day
        (at(1, 7, 59), at(1, 8)),
    ],
)
def test_quiet_hours_and_non_working_days_hold_an_alert_to_the_next_opening(
    now: datetime, delivered: datetime
) -> None:
    assert plan([red()], [], now, CALENDAR, POLICY) == [Open(red(), delivered)]


def test_an_urgent_kpi_is_not_held() -> None:
    assert plan([red(urgent=True)], [], at(5, 3), CALENDAR, POLICY) == [Open(red(urgent=True), at(5, 3))]


def test_nothing_opens_without_a_figure_or_on_a_suspended_kpi() -> None:
    unknown = Reading("ICT04", None, None, known=False)
    suspended = Reading("ICT04", "2026-11", None, known=False, suspended=True)
    assert plan([unknown, suspended], [], at(1, 10), CALENDAR, POLICY) == []


# -- changes of state --------------------------------------------------------------------------------------
def test_worse_in_the_same_period_is_a_new_alert_that_supersedes_the_old_one() -> None:
    amber = episode(state=State.AMBER)
    [action] = plan([red()], [amber], at(1, 11), CALENDAR, POLICY)
    assert action == Open(red(), at(1, 11), supersedes=amber)
    assert fingerprint("ICT04", "2026-11", State.RED) != amber.fingerprint


def test_better_but_still_in_breach_is_said_in_the_thread_without_a_new_alert() -> None:
    amber = Reading("ICT04", "2026-11", State.AMBER, known=True)
    assert plan([amber], [episode()], at(1, 11), CALENDAR, POLICY) == [Improve(episode(), State.AMBER)]


def test_a_later_period_still_in_breach_is_a_new_episode() -> None:
    december = red(period="2026-12")
    assert plan([december], [episode()], at(2, 9), CALENDAR, POLICY) == [
        Open(december, at(2, 9), supersedes=episode())
    ]


def test_recovery_closes_the_episode_with_a_word_and_suspension_without_one() -> None:
    green = Reading("ICT04", "2026-11", None, known=True)
    assert plan([green], [episode()], at(2, 9), CALENDAR, POLICY) == [Close(episode(), "recovered", True)]
    suspended = Reading("ICT04", "2026-11", None, known=False, suspended=True)
    assert plan([suspended], [episode()], at(2, 9), CALENDAR, POLICY) == [
        Close(episode(), "suspended", False)
    ]
    unknown = Reading("ICT04", None, None, known=False)
    assert plan([unknown], [episode()], at(2, 9), CALENDAR, POLICY) == []


# -- reminders and escalation ------------------------------------------------------------------------------
def test_an_unanswered_alert_is_repeated_the_next_working_morning_then_escalated() -> None:
    opened = episode(opened_at=at(4, 16), last_sent_at=at(4, 16))  # Friday 16:00
    assert plan([red()], [opened], at(5, 9), CALENDAR, POLICY) == []  # Saturday: nobody to remind
    assert plan([red()], [opened], at(7, 8, 59), CALENDAR, POLICY) == []
    assert plan([red()], [opened], at(7, 9), CALENDAR, POLICY) == [Remind(opened, at(7, 9))]
    reminded = replace(opened, sends=2, last_sent_at=at(7, 9))
    assert plan([red()], [reminded], at(7, 17), CALENDAR, POLICY) == []
    # 16 working hours after Friday 16:00: Friday 2 h + Monday 10 h + Tuesday 4 h = Tuesday 12:00.
    assert plan([red()], [reminded], at(8, 11, 59), CALENDAR, POLICY) == [Remind(reminded, at(8, 11, 59))]
    again = replace(reminded, sends=3, last_sent_at=at(8, 9))
    assert plan([red()], [again], at(8, 11, 59), CALENDAR, POLICY) == []
    assert plan([red()], [again], at(8, 12), CALENDAR, POLICY) == [Escalate(again, at(8, 12))]
    escalated = replace(again, escalated_at=at(8, 12))
    assert plan([red()], [escalated], at(8, 15), CALENDAR, POLICY) == []


def test_an_acknowledged_alert_is_neither_repeated_nor_escalated_but_still_recovers() -> None:
    taken = episode(acknowledged_by="U0OWNER")
    assert plan([red()], [taken], at(10, 12), CALENDAR, POLICY) == []
    green = Reading("ICT04", "2026-11", None, known=True)
    assert plan([green], [taken], at(10, 12), CALENDAR, POLICY) == [Close(taken, "recovered", True)]


def test_a_snooze_holds_reminders_until_it_ends_then_reminds_once_and_never_escalates() -> None:
    snoozed = episode(snoozed_until=at(7, 10))
    assert plan([red()], [snoozed], at(4, 12), CALENDAR, POLICY) == []
    assert plan([red()], [snoozed], at(7, 10), CALENDAR, POLICY) == [Remind(snoozed, at(7, 10))]
    reminded = replace(snoozed, sends=2, last_sent_at=at(7, 10))
    assert plan([red()], [reminded], at(7, 15), CALENDAR, POLICY) == []
    assert plan([red()], [reminded], at(8, 9), CALENDAR, POLICY) == [Remind(reminded, at(8, 9))]


def test_a_first_alert_still_on_its_way_is_owed_nothing_more() -> None:
    held = episode(sends=0, last_sent_at=None)
    assert plan([red()], [held], at(9, 12), CALENDAR, POLICY) == []


def test_delivery_crosses_the_clock_change_on_local_time() -> None:
    # Saturday 28 March 2026, evening; the clocks go forward on Sunday: Monday 08:00 BST is 07:00 UTC.
    saturday = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
    assert deliver_at(saturday, CALENDAR, urgent=False) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_a_policy_that_never_escalates_is_refused() -> None:
    with pytest.raises(ValueError, match="escalate_after"):
        AlertPolicy(escalate_after=timedelta(0))
