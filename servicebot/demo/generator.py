"""Demo histories: a seeded, realistic history of the ICT service desk (and a little contact centre).

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
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from intents.catalogue import Intent
from servicebot.demo.profiles import (
    ESCALATION_NOTES,
    FIX_NOTES,
    FOLLOW_UP_NOTES,
    ICT_DESK,
    MAJOR_INCIDENT_INTENTS,
    MONTH_VOLUME,
    PASSED_ON,
    QUIET_DAY_HOURS,
    REOPEN_REASONS,
    SOURCE_SHARES,
    SOURCES,
    WORKDAY_HOURS,
    Burst,
    Contact,
    DeskPlan,
    Month,
    Volumes,
    plans,
    vary,
)
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.tickets import SYSTEM_ACTOR, EventKind, Status, Ticket, TriageDecision

if TYPE_CHECKING:
    from servicebot.bootstrap import Services


class _Stop(Exception):
    """The next step falls at or after `end`: the ticket is left as it stands, still being worked."""


class _Clock:
    """A ticket's own time: each step moves forward, and a step at or after `end` stops the history."""

    __slots__ = ("calendar", "end", "now")

    def __init__(self, start: datetime, end: datetime, calendar: WorkingCalendar) -> None:
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


class Generator:
    def __init__(self, services: Services, seed: int, start: datetime, end: datetime) -> None:
        self.settings = services.settings
        self.seed = seed
        self.start = start
        self.end = end
        self.tz = self.settings.tz
        self.calendar = self.settings.calendar()
        self.volumes = Volumes(self.calendar)
        self.plans = plans(self.settings, list(services.catalogue.intents.values()), seed)
        if not any(p.desk.id == ICT_DESK for p in self.plans):
            raise ValueError("the catalogue has no ICT desk intents to build demo tickets from")
        self._months: dict[tuple[int, int], Month] = {}
        hours = self.settings.working_hours
        self._working_day_minutes = (hours.end.hour * 60 + hours.end.minute) - (
            hours.start.hour * 60 + hours.start.minute
        )

    def month(self, year: int, month: int) -> Month:
        key = (year, month)
        if key not in self._months:
            rng = random.Random(f"{self.seed}:{year}-{month:02d}")
            volume = rng.gauss(1.0, 0.03)
            complexity = min(1.14, max(0.86, rng.gauss(1.0, 0.07)))
            # Now and then a month of harder work (a mail migration, a new case system) pushes
            # escalations up and FCR down, as the council's own commentary describes.
            if rng.random() < 0.15:
                complexity = min(1.22, complexity * 1.15)
            self._months[key] = Month(volume, complexity)
        return self._months[key]

    # -- arrivals ------------------------------------------------------------------------------------
    def contacts(self, day: date, rng: random.Random) -> list[Contact]:
        month = self.month(day.year, day.month)
        share = self.volumes.day_weight(day) / self.volumes.month_weight(day.year, day.month)
        hours = WORKDAY_HOURS if self.calendar.is_working_day(day) else QUIET_DAY_HOURS
        found: list[Contact] = []
        for plan in self.plans:
            expected = plan.monthly_contacts * MONTH_VOLUME[day.month - 1] * month.volume * share
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

    def _contact(self, plan: DeskPlan, intent: Intent, at: datetime, rng: random.Random) -> Contact:
        requester = rng.choices(plan.requesters, cum_weights=plan.requester_weights)[0]
        if plan.desk.id == ICT_DESK:
            source = rng.choices(SOURCES, cum_weights=SOURCE_SHARES)[0]
            origin: dict[str, Any] = {"logged_by": requester}
            if source == "message" and plan.desk.intake_channels:
                origin["channel"] = plan.desk.intake_channels[0]
                origin["ts"] = f"{int(at.timestamp())}.{rng.randrange(1_000_000):06d}"
        else:
            # Contact centre advisors log residents' calls on their behalf.
            source = "command"
            origin = {"logged_by": rng.choice(plan.agents)}
        text = vary(rng.choice(intent.examples), rng)
        return Contact(at, plan, intent, requester, text, source, origin)

    def _major_incident(self, plan: DeskPlan, day: date, rng: random.Random) -> list[Contact]:
        candidates = [i for i in plan.intents if i.id in MAJOR_INCIDENT_INTENTS]
        if not candidates:
            return []
        intent = rng.choice(candidates)
        began = datetime.combine(day, time(9), self.tz) + timedelta(seconds=rng.randrange(390 * 60))
        lasted = timedelta(seconds=rng.randrange(60 * 60, 300 * 60))
        burst = Burst((began + lasted).astimezone(UTC), rng.choice(plan.specialists))
        contacts = []
        for _ in range(rng.randint(20, 90)):
            offset = min(rng.expovariate(1 / 1500), lasted.total_seconds() * 0.9)
            arrived = (began + timedelta(seconds=round(offset))).astimezone(UTC)
            contact = self._contact(plan, intent, arrived, rng)
            contact.burst = burst
            contacts.append(contact)
        return contacts

    # -- histories -----------------------------------------------------------------------------------
    def history(self, ticket_id: int, contact: Contact, rng: random.Random) -> Ticket:
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
        self, ticket: Ticket, contact: Contact, clock: _Clock, complexity: float, rng: random.Random
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
            ticket.follow_up(agent, clock.now, rng.choice(FOLLOW_UP_NOTES))
            clock.working(rng.uniform(10, 240))
        else:
            # Most contacts are fixed while the requester is still there: minutes, not hours.
            clock.working(min(90.0, rng.lognormvariate(math.log(8), 0.6)))
        ticket.resolve(resolver, clock.now, note=rng.choice(FIX_NOTES))
        ticket.request_rating(clock.now)
        self._after_resolution(ticket, contact, clock, rng)

    def _misroute(
        self, ticket: Ticket, contact: Contact, clock: _Clock, agent: str, rng: random.Random
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
        self, ticket: Ticket, contact: Contact, clock: _Clock, agent: str, rng: random.Random
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
        ticket.escalate(target, agent, clock.now, note=rng.choice(ESCALATION_NOTES))
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
            ticket.follow_up(engineer, clock.now, rng.choice(FOLLOW_UP_NOTES))
            fix *= 0.6
        clock.working(fix)
        return engineer

    def _after_resolution(self, ticket: Ticket, contact: Contact, clock: _Clock, rng: random.Random) -> None:
        requester, plan = contact.requester, contact.plan
        # Work that was passed on or chased is likelier to come back, and to be rated less kindly.
        straightforward = not (ticket.kinds_seen & PASSED_ON)
        reopened = rng.random() < (0.022 if straightforward else 0.045)
        if reopened:
            ticket.reopen(requester, clock.elapsed(rng.uniform(30, 2880)), rng.choice(REOPEN_REASONS))
            fixer = ticket.assignee
            if fixer is None:
                fixer = rng.choice(plan.agents)
                ticket.assign(fixer, fixer, clock.working(rng.uniform(5, 60)))
            ticket.resolve(fixer, clock.working(rng.uniform(15, 300)), note=rng.choice(FIX_NOTES))
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
