"""What the demo's contacts look like: volumes by month, weekday and hour, each intent's share and how hard
it is, the people who call and answer, and how they phrase things. Figures follow the council's published
volumes (see ../shared/domain/README.md)."""

from __future__ import annotations

import random
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from intents.catalogue import Intent
from servicebot.config import Desk, Settings
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.tickets import EventKind

ICT_DESK = "ict"
# The published ~74,000 calls a year, plus chat-only contacts: ~6,000–7,000 tickets a month.
ICT_CONTACTS_A_MONTH = 6550
OTHER_DESK_CONTACTS_A_MONTH = 320

# Quieter in school holidays (August) and over Christmas; busier when people come back in January
# and September (forgotten passwords, new starters).
MONTH_VOLUME = (1.06, 1.01, 1.03, 0.95, 0.99, 1.0, 0.97, 0.9, 1.06, 1.04, 1.03, 0.88)
_WEEKDAY_VOLUME = (1.3, 1.08, 1.0, 0.97, 0.82, 0.05, 0.03)
_BANK_HOLIDAY_VOLUME = 0.04
_BACK_FROM_HOLIDAY_VOLUME = 1.25
_CHRISTMAS_WEEK_VOLUME = 0.55

# Local hour of arrival: a mid-morning peak, a lunch dip, a second peak after lunch, a trickle at night.
WORKDAY_HOURS = tuple(
    accumulate(
        (
            *(0.01, 0.005, 0.005, 0.005, 0.01, 0.02, 0.05, 0.22, 1.0, 1.7, 1.6, 1.3),
            *(0.85, 1.25, 1.45, 1.15, 0.85, 0.5, 0.16, 0.07, 0.05, 0.04, 0.03, 0.02),
        )
    )
)
QUIET_DAY_HOURS = tuple(
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
MAJOR_INCIDENT_INTENTS = ("network_outage", "website_down", "email_problem")

_OPENERS = ("hi ", "Hi, ", "morning - ", "Hello, ", "hiya ", "afternoon, ")
_CLOSERS = (" thanks", " thx", " please", " cheers", " ta")
SOURCES = ("message", "dm", "mention", "command", "shortcut")
SOURCE_SHARES = tuple(accumulate((0.7, 0.12, 0.08, 0.06, 0.04)))
FIX_NOTES = (
    "Talked them through it",
    "Reset and confirmed working",
    "Cleared cached credentials",
    "Fixed remotely",
    "Reconfigured and tested with the user",
    "",
)
ESCALATION_NOTES = (
    "Needs 2nd line",
    "Needs a site visit",
    "Server-side change required",
    "Beyond 1st-line permissions",
    "",
)
FOLLOW_UP_NOTES = ("Called back to confirm", "Chased the requester for details", "Callback arranged", "")
PASSED_ON = frozenset({EventKind.ESCALATED, EventKind.TRANSFERRED, EventKind.FOLLOW_UP})
REOPEN_REASONS = ("Still not working", "Happened again this morning", "Only partly fixed", "")


class Volumes:
    """How many contacts a day brings, relative to other days: Monday busiest, weekends and bank holidays
    very light, the day after a long weekend busy. Which days are working days is the domain calendar's."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._month_weight: dict[tuple[int, int], float] = {}

    def day_weight(self, day: date) -> float:
        if self.calendar.is_bank_holiday(day):
            return _BANK_HOLIDAY_VOLUME
        weight = _WEEKDAY_VOLUME[day.weekday()]
        if not self.calendar.is_working_day(day):
            return weight
        if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1):
            return weight * _CHRISTMAS_WEEK_VOLUME
        before = day - timedelta(days=1)
        for _ in range(6):
            if before.weekday() in self.calendar.weekdays:
                break
            before -= timedelta(days=1)
        if self.calendar.is_bank_holiday(before):
            weight = max(weight, _WEEKDAY_VOLUME[0]) * _BACK_FROM_HOLIDAY_VOLUME
        return weight

    def month_weight(self, year: int, month: int) -> float:
        key = (year, month)
        if key not in self._month_weight:
            days = monthrange(year, month)[1]
            self._month_weight[key] = sum(self.day_weight(date(year, month, d)) for d in range(1, days + 1))
        return self._month_weight[key]


@dataclass(frozen=True)
class _Profile:
    weight: float
    escalate: float
    fix_hours: tuple[float, float]
    self_help_fixes: float


@dataclass(frozen=True)
class Month:
    """Per-month conditions: volume noise and how complex the work is (more escalations, lower FCR)."""

    volume: float
    complexity: float


@dataclass
class DeskPlan:
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
class Burst:
    restored_at: datetime
    engineer: str


@dataclass
class Contact:
    at: datetime
    plan: DeskPlan
    intent: Intent
    requester: str
    text: str
    source: str
    origin: dict[str, Any]
    burst: Burst | None = None


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


def plans(settings: Settings, intents: Sequence[Intent], seed: int) -> list[DeskPlan]:
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
                DeskPlan(
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
            DeskPlan(
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


def vary(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        return rng.choice(_OPENERS) + text
    if roll < 0.2 and not text.endswith("?"):
        return text.rstrip(".!") + rng.choice(_CLOSERS)
    return text
