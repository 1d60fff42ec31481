"""`servicebot demo load`: months of seeded history, written in one transaction, and the report."""

from __future__ import annotations

import random
from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from servicebot.demo import outages as demo_outages
from servicebot.demo import telephony
from servicebot.demo import values as demo_values
from servicebot.demo.generator import Generator
from servicebot.demo.report import Tally, report
from servicebot.demo.writer import Writer
from servicebot.domain.periods import Period
from servicebot.storage import calls as call_rows
from servicebot.storage import kpis as kpi_rows
from servicebot.storage import outages as outage_rows
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.bulk import wide_sqlite_cache
from servicebot.storage.facts import FactsProjection

if TYPE_CHECKING:
    from servicebot.bootstrap import Services


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


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
    generator = Generator(services, seed, start_utc, end_utc)
    tallies = {plan.desk.id: Tally() for plan in generator.plans}

    with services.db.transaction() as session:
        existing = ticket_rows.count_tickets(session)
        if if_empty and existing:
            return (
                f"The database already holds {existing:,} tickets, so no demo data was written "
                "(drop --if-empty to add it anyway)."
            )
        next_id = ticket_rows.max_ticket_id(session) + 1
        writer = Writer(session, FactsProjection(services.settings.calendar()))
        day = start_local.date()
        last_day = (end_local - timedelta(microseconds=1)).date()
        with wide_sqlite_cache(session):
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
        phone = list(
            telephony.calls(start_local.date(), last_day, generator.calendar, seed, services.settings.desks)
        )
        call_rows.upsert(session, phone, f"demo seed {seed}")
        services_out = list(
            demo_outages.outages(
                Period.of(start_local.date()),
                Period.of(last_day),
                generator.calendar,
                seed,
                {s.id for s in services.settings.services},
            )
        )
        outage_rows.upsert(session, services_out, f"demo seed {seed}")
        manual = {d.ref for d in services.kpis.definitions_in(session) if d.source == "manual"}
        figures = list(
            demo_values.values(Period.of(start_local.date()), Period.of(last_day).previous, seed, manual)
        )
        kpi_rows.upsert_values(session, figures, f"demo seed {seed}", end_utc)

    answered = sum(row.answered for row in phone)
    return (
        report(services.settings, tallies, start_local, end_local, seed)
        + f" Telephony: {answered:,} calls answered on {len({(r.desk, r.line) for r in phone})} lines"
        + f" (severe weather in {telephony.storm_month(Period.of(last_day))});"
        + f" {len(services_out)} outages of {', '.join(sorted({o.service for o in services_out}))}"
        + f" ({sum(o.planned for o in services_out)} planned)."
    )
