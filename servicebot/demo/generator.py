"""Demo data: a seeded, realistic history of the ICT service desk (and a little contact centre).

Every history is built through the Ticket aggregate's own commands, so the demo can only hold histories
the bot itself could have produced. Only the writing bypasses TicketService: one transaction with bulk
inserts, because ~80k tickets saved one at a time would take minutes.

Randomness comes from `random.Random` seeded per day (and per month) from `seed`, never from global state,
so the same seed and the same `end` give identical rows, and a day's contacts do not depend on how many
months are loaded.
"""

from __future__ import annotations

import math
import random
from calendar import monthrange
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from intents.catalogue import Intent
from servicebot.config import WEEKDAYS, Desk, Settings
from servicebot.domain.fcr import contact_facts
from servicebot.domain.tickets import (
    SYSTEM_ACTOR,
    EventKind,
    Resolution,
    Status,
    Ticket,
    TriageDecision,
)
from servicebot.storage import tickets as ticket_rows

if TYPE_CHECKING:
    from servicebot.bootstrap import Services

ICT_DESK = "ict"
# The published ~74,000 calls a year, plus chat-only contacts: ~6,000–7,000 tickets a month.
ICT_CONTACTS_A_MONTH = 6550
OTHER_DESK_CONTACTS_A_MONTH = 320
_CHUNK_EVENTS = 40_000
_SQLITE_LOAD_CACHE_KIB = -128 * 1024  # negative: KiB rather than pages

# Quieter in school holidays (August) and over Christmas; busier when people come back in January
# and September (forgotten passwords, new starters).
_MONTH_VOLUME = (1.06, 1.01, 1.03, 0.95, 0.99, 1.0, 0.97, 0.9, 1.06, 1.04, 1.03, 0.88)
_WEEKDAY_VOLUME = (1.3, 1.08, 1.0, 0.97, 0.82, 0.05, 0.03)
_BANK_HOLIDAY_VOLUME = 0.04
_BACK_FROM_HOLIDAY_VOLUME = 1.25
_CHRISTMAS_WEEK_VOLUME = 0.55

# Local hour of arrival: a mid-morning peak, a lunch dip, a second peak after lunch, a trickle at night.
_WORKDAY_HOURS = tuple(
    accumulate(
        (
            *(0.01, 0.005, 0.005, 0.005, 0.01, 0.02, 0.05, 0.22, 1.0, 1.7, 1.6, 1.3),
            *(0.85, 1.25, 1.45, 1.15, 0.85, 0.5, 0.16, 0.07, 0.05, 0.04, 0.03, 0.02),
        )
    )
)
_QUIET_DAY_HOURS = tuple(
    accumulate(
        (
            *(0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.1, 1.1),
            *(1.0, 1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.35, 0.25, 0.15),
        )
    )
)

# intent: (share of contacts, chance it needs 2nd line, 2nd-line working hours to fix: low, high).
# Unknown intents (the catalogue is edited by desk leads) get _DEFAULT_PROFILE.
_PROFILES: dict[str, tuple[float, float, float, float]] = {
    "password_reset": (21, 0.02, 0.5, 4),
    "account_locked": (12, 0.03, 0.5, 4),
    "email_problem": (10, 0.16, 2, 16),
    "mailbox_full": (5, 0.06, 1, 8),
    "vpn_remote_access": (5, 0.18, 2, 16),
    "network_outage": (0.8, 0.5, 1, 8),
    "printer_problem": (6, 0.22, 2, 20),
    "new_starter": (3, 0.45, 4, 30),
    "leaver": (2, 0.35, 2, 20),
    "access_request": (5, 0.3, 2, 20),
    "hardware_fault": (5, 0.4, 4, 24),
    "hardware_purchase": (1.5, 0.5, 8, 30),
    "software_install": (4, 0.3, 2, 20),
    "telephony": (3, 0.25, 2, 16),
    "mfa_problem": (4, 0.08, 0.5, 6),
    "security_incident": (0.4, 0.8, 1, 12),
    "phishing_report": (2, 0.15, 0.5, 4),
    "line_of_business_system": (5, 0.35, 2, 20),
    "file_share_storage": (3, 0.18, 1, 12),
    "teams_meetings": (3, 0.1, 1, 8),
    "mobile_device": (3, 0.22, 2, 20),
    "admin_rights": (1.5, 0.35, 1, 12),
    "website_down": (0.3, 0.6, 1, 8),
    "wifi": (2, 0.14, 1, 12),
    "slow_computer": (2, 0.18, 2, 20),
    "ticket_update": (3, 0.02, 0.5, 4),
    "bitlocker_recovery": (1.5, 0.05, 0.5, 4),
    "meeting_room_av": (1, 0.25, 1, 12),
}
_DEFAULT_PROFILE = (2.0, 0.12, 1, 16)
# With this scale the mix above gives ~74% FCR in an ordinary month; months then vary around it.
_ESCALATION_SCALE = 1.0
# Contact centre lines, busiest first as published (calls per quarter); an intent's share is its line's.
_CONTACT_QUEUE_VOLUME = {
    "contact-general": 42,
    "highways": 37,
    "libraries": 30,
    "registration": 24,
    "adult-social-care": 18,
    "education": 15,
    "blue-badge": 12,
    "council-tax": 12,
    "childrens-social-care": 9,
    "concessionary-fares": 8,
    "speed-awareness": 6,
    "waste": 6,
    "complaints": 4,
}
_SEASONAL: dict[str, dict[int, float]] = {
    "password_reset": {1: 1.35, 4: 1.1, 8: 1.1, 9: 1.25},
    "account_locked": {1: 1.2, 9: 1.15},
    "new_starter": {4: 1.3, 9: 1.6},
    "leaver": {7: 1.4, 8: 1.3},
    "vpn_remote_access": {1: 1.2, 12: 1.25},
}
_SELF_HELP_FIXES = {"password_reset": 0.28, "account_locked": 0.32, "mailbox_full": 0.25}
_SELF_HELP_FIXES_OTHERWISE = 0.1
# Lines whose outage brings a surge of contacts within minutes (a major incident).
_MAJOR_INCIDENT_INTENTS = ("network_outage", "website_down", "email_problem")

_OPENERS = ("hi ", "Hi, ", "morning - ", "Hello, ", "hiya ", "afternoon, ")
_CLOSERS = (" thanks", " thx", " please", " cheers", " ta")
_SOURCES = ("message", "dm", "mention", "command", "shortcut")
_SOURCE_SHARES = tuple(accumulate((0.7, 0.12, 0.08, 0.06, 0.04)))
_FIX_NOTES = (
    "Talked them through it",
    "Reset and confirmed working",
    "Cleared cached credentials",
    "Fixed remotely",
    "Reconfigured and tested with the user",
    "",
)
_ESCALATION_NOTES = (
    "Needs 2nd line",
    "Needs a site visit",
    "Server-side change required",
    "Beyond 1st-line permissions",
    "",
)
_FOLLOW_UP_NOTES = ("Called back to confirm", "Chased the requester for details", "Callback arranged", "")
_PASSED_ON = frozenset({EventKind.ESCALATED, EventKind.TRANSFERRED, EventKind.FOLLOW_UP})
_REOPEN_REASONS = ("Still not working", "Happened again this morning", "Only partly fixed", "")


class _Stop(Exception):
    """The next step falls at or after `end`: the ticket is left as it stands, still being worked."""


# -- calendar ----------------------------------------------------------------------------------------------
def _easter(year: int) -> date:
    """Western Easter Sunday (the Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_monday(year: int, month: int, last: bool = False) -> date:
    if last:
        day = date(year, month, monthrange(year, month)[1])
        return day - timedelta(days=day.weekday())
    day = date(year, month, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


# Proclaimed one-off changes to the England and Wales bank holidays.
_MOVED = {
    (2002, "spring"): date(2002, 6, 4),
    (2012, "spring"): date(2012, 6, 4),
    (2020, "early_may"): date(2020, 5, 8),
    (2022, "spring"): date(2022, 6, 2),
}
_EXTRA = (
    date(2002, 6, 3),
    date(2011, 4, 29),
    date(2012, 6, 5),
    date(2022, 6, 3),
    date(2022, 9, 19),
    date(2023, 5, 8),
)


def _bank_holidays(year: int) -> set[date]:
    """England and Wales, with weekend substitutes and the proclaimed one-off days."""
    new_year = date(year, 1, 1)
    days = {new_year + timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0))}
    easter = _easter(year)
    days |= {easter - timedelta(days=2), easter + timedelta(days=1)}
    days.add(_MOVED.get((year, "early_may"), _nth_monday(year, 5)))
    days.add(_MOVED.get((year, "spring"), _nth_monday(year, 5, last=True)))
    days.add(_nth_monday(year, 8, last=True))
    christmas = date(year, 12, 25)
    substitutes = {5: (27, 28), 6: (26, 27), 4: (25, 28)}
    days |= {date(year, 12, d) for d in substitutes.get(christmas.weekday(), (25, 26))}
    days |= {d for d in _EXTRA if d.year == year}
    return days


class _Calendar:
    """Working time in the council's zone: agents act in working hours; requesters at any time."""

    def __init__(self, settings: Settings, first: date, last: date) -> None:
        self.tz: ZoneInfo = settings.tz
        self.opens: time = settings.working_hours.start
        self.closes: time = settings.working_hours.end
        self.weekdays = frozenset(WEEKDAYS.index(d) for d in settings.working_hours.days)
        self.holidays = frozenset(d for y in range(first.year - 1, last.year + 2) for d in _bank_holidays(y))
        self._month_weight: dict[tuple[int, int], float] = {}

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def add_working(self, at: datetime, minutes: float) -> datetime:
        """`minutes` of working time after `at`, skipping nights, weekends and bank holidays."""
        local = at.astimezone(self.tz)
        remaining = timedelta(seconds=round(minutes * 60))
        day = local.date()
        while True:
            if self.is_working_day(day):
                opens = datetime.combine(day, self.opens, self.tz)
                closes = datetime.combine(day, self.closes, self.tz)
                begin = max(local, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= closes - begin
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)

    def day_weight(self, day: date) -> float:
        """Relative contact volume of a day: Monday busiest, weekends and bank holidays very light."""
        if day in self.holidays:
            return _BANK_HOLIDAY_VOLUME
        weight = _WEEKDAY_VOLUME[day.weekday()]
        if not self.is_working_day(day):
            return weight
        if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1):
            return weight * _CHRISTMAS_WEEK_VOLUME
        before = day - timedelta(days=1)
        for _ in range(6):
            if before.weekday() in self.weekdays:
                break
            before -= timedelta(days=1)
        if before in self.holidays:
            weight = max(weight, _WEEKDAY_VOLUME[0]) * _BACK_FROM_HOLIDAY_VOLUME
        return weight

    def month_weight(self, year: int, month: int) -> float:
        key = (year, month)
        if key not in self._month_weight:
            days = monthrange(year, month)[1]
            self._month_weight[key] = sum(self.day_weight(date(year, month, d)) for d in range(1, days + 1))
        return self._month_weight[key]


class _Clock:
    """A ticket's own time: each step moves forward, and a step at or after `end` stops the history."""

    __slots__ = ("calendar", "end", "now")

    def __init__(self, start: datetime, end: datetime, calendar: _Calendar) -> None:
        self.now = start
        self.end = end
        self.calendar = calendar

    def elapsed(self, minutes: float) -> datetime:
        return self.until(self.now + timedelta(seconds=round(minutes * 60)))

    def working(self, minutes: float) -> datetime:
        return self.until(self.calendar.add_working(self.now, minutes))

    def until(self, when: datetime) -> datetime:
        when = max(when, self.now + timedelta(seconds=1))
        if when >= self.end:
            raise _Stop
        self.now = when
        return when


# -- who and what ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Profile:
    weight: float
    escalate: float
    fix_hours: tuple[float, float]
    self_help_fixes: float


@dataclass(frozen=True)
class _Month:
    """Per-month conditions: volume noise and how complex the work is (more escalations, lower FCR)."""

    volume: float
    complexity: float


@dataclass
class _DeskPlan:
    desk: Desk
    intents: list[Intent]
    profiles: dict[str, _Profile]
    monthly_contacts: float
    agents: tuple[str, ...]
    specialists: tuple[str, ...]
    requesters: tuple[str, ...]
    requester_weights: tuple[float, ...]
    follow_up: float
    misroute: float
    rating_rate: float
    triage_auto: float
    _intent_weights: dict[int, tuple[float, ...]] = field(default_factory=dict)

    def intent_weights(self, month: int) -> tuple[float, ...]:
        if month not in self._intent_weights:
            self._intent_weights[month] = tuple(
                accumulate(
                    self.profiles[i.id].weight * _SEASONAL.get(i.id, {}).get(month, 1.0) for i in self.intents
                )
            )
        return self._intent_weights[month]


@dataclass(frozen=True)
class _Burst:
    restored_at: datetime
    engineer: str


@dataclass
class _Contact:
    at: datetime
    plan: _DeskPlan
    intent: Intent
    requester: str
    text: str
    source: str
    origin: dict[str, Any]
    burst: _Burst | None = None


def _people(prefix: str, count: int, width: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n:0{width}d}" for n in range(1, count + 1))


def _ict_profile(intent_id: str) -> _Profile:
    weight, escalate, low, high = _PROFILES.get(intent_id, _DEFAULT_PROFILE)
    return _Profile(
        weight=weight,
        escalate=escalate * _ESCALATION_SCALE,
        fix_hours=(low, high),
        self_help_fixes=_SELF_HELP_FIXES.get(intent_id, _SELF_HELP_FIXES_OTHERWISE),
    )


def _plans(settings: Settings, intents: Sequence[Intent], seed: int) -> list[_DeskPlan]:
    rng = random.Random(f"{seed}:people")
    staff = _people("U0STAFF", 2500, 4)
    # A few staff contact the desk far more often than most (heavy users, team admins).
    staff_weights = tuple(accumulate(rng.lognormvariate(0.0, 0.7) for _ in staff))
    callers = _people("U0CALLER", 20000, 5)
    caller_weights = tuple(accumulate(1.0 for _ in callers))
    plans = []
    for desk_id, desk in settings.desks.items():
        own = [i for i in intents if i.desk == desk_id]
        if not own:
            continue
        if desk_id == ICT_DESK:
            profiles = {i.id: _ict_profile(i.id) for i in own}
            plans.append(
                _DeskPlan(
                    desk=desk,
                    intents=own,
                    profiles=profiles,
                    monthly_contacts=ICT_CONTACTS_A_MONTH,
                    agents=_people("U0AGENT", 14, 2),
                    specialists=_people("U0ENGINEER", 10, 2),
                    requesters=staff,
                    requester_weights=staff_weights,
                    follow_up=0.065,
                    misroute=0.025,
                    rating_rate=0.125,
                    triage_auto=0.8,
                )
            )
            continue
        per_queue: dict[str, int] = {}
        for intent in own:
            per_queue[intent.queue] = per_queue.get(intent.queue, 0) + 1
        profiles = {
            i.id: _Profile(
                weight=_CONTACT_QUEUE_VOLUME.get(i.queue, 3) / per_queue[i.queue],
                escalate=0.08,
                fix_hours=(2, 30),
                self_help_fixes=0.2,
            )
            for i in own
        }
        plans.append(
            _DeskPlan(
                desk=desk,
                intents=own,
                profiles=profiles,
                monthly_contacts=OTHER_DESK_CONTACTS_A_MONTH,
                agents=_people("U0ADVISOR", 12, 2),
                specialists=_people("U0BACKOFF", 6, 2),
                requesters=callers,
                requester_weights=caller_weights,
                follow_up=0.04,
                misroute=0.05,
                rating_rate=0.15,
                triage_auto=0.85,
            )
        )
    return plans


def _vary(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        return rng.choice(_OPENERS) + text
    if roll < 0.2 and not text.endswith("?"):
        return text.rstrip(".!") + rng.choice(_CLOSERS)
    return text


# -- the generator -----------------------------------------------------------------------------------------
@dataclass
class _Tally:
    """What the report says, derived per ticket from its events with the domain's own FCR rules."""

    tickets: int = 0
    events: int = 0
    resolved: int = 0
    first_contact: int = 0
    within_a_day: int = 0
    fixed: int = 0
    fix_seconds: float = 0.0
    escalated: int = 0
    reopened: int = 0
    self_service: int = 0
    ratings: int = 0
    positive: int = 0
    still_open: int = 0
    by_month: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def add(self, ticket: Ticket, month: tuple[int, int]) -> None:
        self.tickets += 1
        self.events += len(ticket.pending)
        facts = contact_facts(ticket.pending)
        kinds = ticket.kinds_seen
        self.escalated += EventKind.ESCALATED in kinds
        self.reopened += EventKind.REOPENED in kinds
        self.still_open += ticket.is_open
        if ticket.rating is not None:
            self.ratings += 1
            self.positive += ticket.rating
        if not facts.resolved or facts.time_to_fix is None:
            return
        monthly = self.by_month.setdefault(month, [0, 0])
        monthly[0] += facts.first_contact
        monthly[1] += 1
        self.resolved += 1
        self.first_contact += facts.first_contact
        seconds = facts.time_to_fix.total_seconds()
        self.within_a_day += seconds <= 86400
        last = next(e for e in reversed(ticket.pending) if e.kind is EventKind.RESOLVED)
        if last.data.get("resolution") == Resolution.SELF_SERVICE.value:
            self.self_service += 1
        else:
            self.fixed += 1
            self.fix_seconds += seconds


class _Generator:
    def __init__(self, services: Services, seed: int, start: datetime, end: datetime) -> None:
        self.settings = services.settings
        self.seed = seed
        self.start = start
        self.end = end
        self.tz = self.settings.tz
        self.calendar = _Calendar(self.settings, start.date(), end.date())
        self.plans = _plans(self.settings, list(services.catalogue.intents.values()), seed)
        if not any(p.desk.id == ICT_DESK for p in self.plans):
            raise ValueError("the catalogue has no ICT desk intents to build demo tickets from")
        self._months: dict[tuple[int, int], _Month] = {}
        hours = self.settings.working_hours
        self._working_day_minutes = (hours.end.hour * 60 + hours.end.minute) - (
            hours.start.hour * 60 + hours.start.minute
        )

    def month(self, year: int, month: int) -> _Month:
        key = (year, month)
        if key not in self._months:
            rng = random.Random(f"{self.seed}:{year}-{month:02d}")
            volume = rng.gauss(1.0, 0.03)
            complexity = min(1.14, max(0.86, rng.gauss(1.0, 0.07)))
            # Now and then a month of harder work (a mail migration, a new case system) pushes
            # escalations up and FCR down, as the council's own commentary describes.
            if rng.random() < 0.15:
                complexity = min(1.22, complexity * 1.15)
            self._months[key] = _Month(volume, complexity)
        return self._months[key]

    # -- arrivals ------------------------------------------------------------------------------------
    def contacts(self, day: date, rng: random.Random) -> list[_Contact]:
        month = self.month(day.year, day.month)
        share = self.calendar.day_weight(day) / self.calendar.month_weight(day.year, day.month)
        hours = _WORKDAY_HOURS if self.calendar.is_working_day(day) else _QUIET_DAY_HOURS
        found: list[_Contact] = []
        for plan in self.plans:
            expected = plan.monthly_contacts * _MONTH_VOLUME[day.month - 1] * month.volume * share
            count = max(0, round(rng.gauss(expected, math.sqrt(expected) + 0.04 * expected)))
            weights = plan.intent_weights(day.month)
            for _ in range(count):
                hour = rng.choices(range(24), cum_weights=hours)[0]
                local = datetime.combine(day, time(hour), self.tz) + timedelta(seconds=rng.randrange(3600))
                intent = rng.choices(plan.intents, cum_weights=weights)[0]
                found.append(self._contact(plan, intent, local.astimezone(UTC), rng))
            if plan.desk.id == ICT_DESK and self.calendar.is_working_day(day) and rng.random() < 0.045:
                found.extend(self._major_incident(plan, day, rng))
        found = [c for c in found if self.start <= c.at < self.end]
        found.sort(key=lambda c: c.at)
        return found

    def _contact(self, plan: _DeskPlan, intent: Intent, at: datetime, rng: random.Random) -> _Contact:
        requester = rng.choices(plan.requesters, cum_weights=plan.requester_weights)[0]
        if plan.desk.id == ICT_DESK:
            source = rng.choices(_SOURCES, cum_weights=_SOURCE_SHARES)[0]
            origin: dict[str, Any] = {"logged_by": requester}
            if source == "message" and plan.desk.intake_channels:
                origin["channel"] = plan.desk.intake_channels[0]
                origin["ts"] = f"{int(at.timestamp())}.{rng.randrange(1_000_000):06d}"
        else:
            # Contact centre advisors log residents' calls on their behalf.
            source = "command"
            origin = {"logged_by": rng.choice(plan.agents)}
        text = _vary(rng.choice(intent.examples), rng)
        return _Contact(at, plan, intent, requester, text, source, origin)

    def _major_incident(self, plan: _DeskPlan, day: date, rng: random.Random) -> list[_Contact]:
        candidates = [i for i in plan.intents if i.id in _MAJOR_INCIDENT_INTENTS]
        if not candidates:
            return []
        intent = rng.choice(candidates)
        began = datetime.combine(day, time(9), self.tz) + timedelta(seconds=rng.randrange(390 * 60))
        lasted = timedelta(seconds=rng.randrange(60 * 60, 300 * 60))
        burst = _Burst((began + lasted).astimezone(UTC), rng.choice(plan.specialists))
        contacts = []
        for _ in range(rng.randint(20, 90)):
            offset = min(rng.expovariate(1 / 1500), lasted.total_seconds() * 0.9)
            arrived = (began + timedelta(seconds=round(offset))).astimezone(UTC)
            contact = self._contact(plan, intent, arrived, rng)
            contact.burst = burst
            contacts.append(contact)
        return contacts

    # -- histories -----------------------------------------------------------------------------------
    def history(self, ticket_id: int, contact: _Contact, rng: random.Random) -> Ticket:
        plan = contact.plan
        ticket = Ticket.open(
            ticket_id,
            desk=plan.desk.id,
            requester=contact.requester,
            text=contact.text,
            source=contact.source,
            queue=plan.desk.default_queue,
            at=contact.at,
            origin=contact.origin,
        )
        local = contact.at.astimezone(self.tz)
        complexity = self.month(local.year, local.month).complexity
        with suppress(_Stop):
            self._work(ticket, contact, _Clock(contact.at, self.end, self.calendar), complexity, rng)
        return ticket

    def _work(
        self, ticket: Ticket, contact: _Contact, clock: _Clock, complexity: float, rng: random.Random
    ) -> None:
        plan, intent, requester = contact.plan, contact.intent, contact.requester
        profile = plan.profiles[intent.id]
        desk = plan.desk

        def decision(confidence: float, method: str) -> TriageDecision:
            return TriageDecision(intent.id, intent.queue, intent.priority, confidence, method)

        # Triage as the bot does it: a confident match is routed at once (and self-help offered);
        # otherwise the requester picks from suggestions, or an agent routes it on pickup.
        route = rng.random()
        if contact.burst is not None or route < plan.triage_auto:
            confidence = rng.uniform(max(desk.confidence_threshold, 0.5), 0.99)
            ticket.triage(decision(confidence, "auto"), SYSTEM_ACTOR, clock.now)
            if intent.self_help is not None:
                ticket.offer_self_help(intent.self_help.title, clock.now)
                answer = rng.random()
                if answer < profile.self_help_fixes:
                    ticket.self_help_result(requester, True, clock.elapsed(rng.uniform(2, 25)))
                    ticket.request_rating(clock.now)
                    self._after_resolution(ticket, contact, clock, rng)
                    return
                if answer < profile.self_help_fixes + 0.35:
                    ticket.self_help_result(requester, False, clock.elapsed(rng.uniform(1, 20)))
        elif route < plan.triage_auto + (1 - plan.triage_auto) * 0.55:
            ticket.triage(decision(1.0, "picked"), requester, clock.elapsed(rng.uniform(0.3, 3)))

        agent = rng.choice(plan.agents)
        pickup = {"P1": 4.0, "P2": 8.0, "P3": 22.0}.get(intent.priority, 40.0)
        clock.working(rng.expovariate(1 / pickup))
        if ticket.status is Status.NEW:
            ticket.triage(decision(1.0, "picked"), agent, clock.now)
        ticket.assign(agent, agent, clock.now)

        if contact.burst is not None:
            # Contacts about a major incident wait for the service to come back, then are closed together.
            restored = contact.burst.restored_at + timedelta(seconds=rng.randrange(600))
            ticket.resolve(contact.burst.engineer, clock.until(restored), note="Service restored")
            ticket.request_rating(clock.now)
            self._after_resolution(ticket, contact, clock, rng)
            return

        roll = rng.random()
        misroute = plan.misroute * complexity
        escalate = misroute + profile.escalate * complexity
        follow_up = escalate + plan.follow_up * complexity
        resolver = agent
        if roll < misroute:
            resolver = self._misroute(ticket, contact, clock, agent, rng)
        elif roll < escalate:
            resolver = self._escalate(ticket, contact, clock, agent, rng)
        elif roll < follow_up:
            clock.working(rng.uniform(15, 180))
            ticket.follow_up(agent, clock.now, rng.choice(_FOLLOW_UP_NOTES))
            clock.working(rng.uniform(10, 240))
        else:
            # Most contacts are fixed while the requester is still there: minutes, not hours.
            clock.working(min(90.0, rng.lognormvariate(math.log(8), 0.6)))
        ticket.resolve(resolver, clock.now, note=rng.choice(_FIX_NOTES))
        ticket.request_rating(clock.now)
        self._after_resolution(ticket, contact, clock, rng)

    def _misroute(
        self, ticket: Ticket, contact: _Contact, clock: _Clock, agent: str, rng: random.Random
    ) -> str:
        plan, desk = contact.plan, contact.plan.desk
        clock.working(rng.uniform(1, 8))
        current = desk.queue(ticket.queue or desk.default_queue)
        if current is not None and current.line == 2 and rng.random() < 0.5:
            ticket.transfer(desk.default_queue, agent, clock.now, note="Not for this team")
        else:
            others = [i for i in plan.intents if i.id != ticket.intent]
            if not others:
                return agent
            other = rng.choice(others)
            corrected = TriageDecision(other.id, other.queue, other.priority, 1.0, "corrected")
            ticket.change_intent(corrected, agent, clock.now)
        handler = rng.choice(plan.agents)
        clock.working(rng.expovariate(1 / 30))
        if ticket.assignee != handler:
            ticket.assign(handler, handler, clock.now)
        clock.working(rng.uniform(10, 180))
        return handler

    def _escalate(
        self, ticket: Ticket, contact: _Contact, clock: _Clock, agent: str, rng: random.Random
    ) -> str:
        plan, desk, intent = contact.plan, contact.plan.desk, contact.intent
        profile = plan.profiles[intent.id]
        clock.working(rng.uniform(5, 40))
        line_two = [q.id for q in desk.queues if q.line == 2 and q.id != ticket.queue]
        if not line_two:
            return agent
        own = desk.queue(intent.queue)
        if own is not None and own.line == 2 and own.id != ticket.queue:
            target = own.id
        elif desk.second_line_queue != ticket.queue:
            target = desk.second_line_queue
        else:
            target = line_two[0]
        ticket.escalate(target, agent, clock.now, note=rng.choice(_ESCALATION_NOTES))
        engineer = rng.choice(plan.specialists)
        clock.working(rng.expovariate(1 / (10.0 if intent.priority == "P1" else 90.0)))
        ticket.assign(engineer, engineer, clock.now)
        low, high = profile.fix_hours
        fix = rng.uniform(low, high) * 60
        if rng.random() < 0.06:
            # Waiting on a supplier, parts or a change window: the backlog that is always open.
            fix += rng.uniform(3, 12) * self._working_day_minutes
        if rng.random() < 0.2:
            clock.working(fix * 0.4)
            ticket.follow_up(engineer, clock.now, rng.choice(_FOLLOW_UP_NOTES))
            fix *= 0.6
        clock.working(fix)
        return engineer

    def _after_resolution(self, ticket: Ticket, contact: _Contact, clock: _Clock, rng: random.Random) -> None:
        requester, plan = contact.requester, contact.plan
        # Work that was passed on or chased is likelier to come back, and to be rated less kindly.
        straightforward = not (ticket.kinds_seen & _PASSED_ON)
        reopened = rng.random() < (0.022 if straightforward else 0.045)
        if reopened:
            ticket.reopen(requester, clock.elapsed(rng.uniform(30, 2880)), rng.choice(_REOPEN_REASONS))
            fixer = ticket.assignee
            if fixer is None:
                fixer = rng.choice(plan.agents)
                ticket.assign(fixer, fixer, clock.working(rng.uniform(5, 60)))
            ticket.resolve(fixer, clock.working(rng.uniform(15, 300)), note=rng.choice(_FIX_NOTES))
            ticket.request_rating(clock.now)
        if rng.random() < plan.rating_rate:
            if reopened:
                positive = 0.6
            elif EventKind.SELF_HELP_OFFERED in ticket.kinds_seen and ticket.assignee is None:
                positive = 0.985
            elif straightforward:
                positive = 0.975
            else:
                positive = 0.9
            ticket.rate(requester, rng.random() < positive, clock.elapsed(rng.expovariate(1 / 90)))
        resolved_at = ticket.resolved_at
        assert resolved_at is not None
        # Resolved tickets close on their own after five days unless the requester comes back.
        ticket.close(SYSTEM_ACTOR, clock.until(resolved_at + timedelta(days=5)))


# -- writing -----------------------------------------------------------------------------------------------
class _Writer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.tickets: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def add(self, ticket: Ticket) -> None:
        self.tickets.append(ticket_rows.ticket_row(ticket))
        self.events.extend(ticket_rows.event_row(e) for e in ticket.pending)
        if len(self.events) >= _CHUNK_EVENTS:
            self.flush()

    def flush(self) -> None:
        # Projection rows first: every event row refers to its ticket.
        if self.tickets:
            ticket_rows.bulk_insert_tickets(self.session, self.tickets)
        if self.events:
            ticket_rows.bulk_insert_events(self.session, self.events)
        self.tickets, self.events = [], []


# -- entry point -------------------------------------------------------------------------------------------
def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


@contextmanager
def _wide_sqlite_cache(session: Session) -> Iterator[None]:
    """SQLite's default 2 MB page cache thrashes on the event indexes during a bulk load: widen it for
    this (pooled) connection while loading, then put it back."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size={_SQLITE_LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={previous}")


def _start_of_today(tz: ZoneInfo) -> datetime:
    return datetime.combine(datetime.now(tz).date(), time(0), tz)


def load_demo(
    services: Services,
    *,
    months: int = 12,
    seed: int = 2016,
    if_empty: bool = False,
    end: datetime | None = None,
) -> str:
    """Write `months` months of seeded ticket history ending at `end`; return a one-paragraph report.

    `end` defaults to the start of today in the council's zone, so the most recent days are shown with
    tickets still open. Same seed and same `end` into an empty database give identical rows.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if end is not None and end.tzinfo is None:
        raise ValueError("end must be time zone-aware")
    tz = services.settings.tz
    end_local = (_start_of_today(tz) if end is None else end).astimezone(tz)
    start_local = datetime.combine(_months_before(end_local.date(), months), time(0), tz)
    start_utc, end_utc = start_local.astimezone(UTC), end_local.astimezone(UTC)
    generator = _Generator(services, seed, start_utc, end_utc)
    tallies = {plan.desk.id: _Tally() for plan in generator.plans}

    with services.db.transaction() as session:
        existing = ticket_rows.count_tickets(session)
        if if_empty and existing:
            return (
                f"The database already holds {existing:,} tickets, so no demo data was written "
                "(drop --if-empty to add it anyway)."
            )
        next_id = ticket_rows.max_ticket_id(session) + 1
        writer = _Writer(session)
        day = start_local.date()
        last_day = (end_local - timedelta(microseconds=1)).date()
        with _wide_sqlite_cache(session):
            while day <= last_day:
                rng = random.Random(f"{seed}:{day.isoformat()}")
                for contact in generator.contacts(day, rng):
                    ticket = generator.history(next_id, contact, rng)
                    next_id += 1
                    local = contact.at.astimezone(tz)
                    tallies[ticket.desk].add(ticket, (local.year, local.month))
                    writer.add(ticket)
                day += timedelta(days=1)
            writer.flush()
        ticket_rows.sync_ticket_id_sequence(session)

    return _report(services.settings, tallies, start_local, end_local, seed)


def _percent(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{100.0 * part / whole:.1f}%"


def _report(settings: Settings, tallies: dict[str, _Tally], start: datetime, end: datetime, seed: int) -> str:
    total = sum(t.tickets for t in tallies.values())
    events = sum(t.events for t in tallies.values())
    last = (end - timedelta(microseconds=1)).date()
    per_desk = ", ".join(f"{t.tickets:,} {settings.desks[d].title}" for d, t in tallies.items())
    ict, ict_title = tallies[ICT_DESK], settings.desks[ICT_DESK].title
    monthly = [100.0 * f / r for f, r in ict.by_month.values() if r >= 1000]
    spread = f"; monthly {min(monthly):.1f}–{max(monthly):.1f}%" if len(monthly) > 1 else ""
    average_fix = ict.fix_seconds / ict.fixed / 3600 if ict.fixed else 0.0
    open_now = sum(t.still_open for t in tallies.values())
    parts = [
        f"Wrote {total:,} demo tickets ({per_desk}) with {events:,} events, logged "
        f"{start:%d %b %Y} to {last:%d %b %Y} ({settings.timezone}, seed {seed}).",
        f"{ict_title}: first-contact resolution {_percent(ict.first_contact, ict.resolved)} "
        f"({ict.first_contact:,} of {ict.resolved:,} contacts resolved{spread});",
        f"positive feedback {_percent(ict.positive, ict.ratings)} of {ict.ratings:,} ratings;",
        f"{ict.escalated:,} tickets escalated to 2nd line;",
        f"{_percent(ict.within_a_day, ict.resolved)} resolved within a day,",
        f"average time to fix {average_fix:.1f} h elapsed for fixed incidents;",
        f"{ict.self_service:,} resolved by self-help;",
        f"{_percent(ict.reopened, ict.tickets)} reopened.",
    ]
    for desk_id, tally in tallies.items():
        if desk_id != ICT_DESK:
            parts.append(
                f"{settings.desks[desk_id].title}: FCR {_percent(tally.first_contact, tally.resolved)}, "
                f"positive {_percent(tally.positive, tally.ratings)} of {tally.ratings:,} ratings."
            )
    parts.append(f"{open_now:,} tickets are still open.")
    return " ".join(parts)
