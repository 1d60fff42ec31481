"""The desk's figures as SQL aggregates: one GROUP BY over the contact facts (or the imported telephony)
per figure and span of months, never a loop over rows in Python. SQLAlchemy Core only, so the same
statements run on SQLite and PostgreSQL; months are the stored local `YYYY-MM` strings, so a month is an
indexed equality rather than a time-zone calculation in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from servicebot.storage.tables import call_stats, contact_facts, outages, tickets


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # SUM(CASE …) rather than COUNT(*) FILTER (…): FILTER is PostgreSQL's and SQLite 3.30+'s, not every
    # SQLite a council's server might have.
    return func.sum(case((condition, 1), else_=0))


@dataclass(frozen=True)
class Sums:
    """Per month: a numerator and a denominator (for a count, the count is the numerator)."""

    numerator: float
    denominator: float


def _by_month(
    session: Session,
    month: ColumnElement[str],
    numerator: ColumnElement[float] | ColumnElement[int],
    denominator: ColumnElement[float] | ColumnElement[int],
    where: Sequence[ColumnElement[bool]],
    months: Sequence[str],
) -> dict[str, Sums]:
    query = select(month, numerator, denominator).where(and_(*where, month.in_(list(months)))).group_by(month)
    return {
        str(m): Sums(float(n or 0), float(d or 0))
        for m, n, d in session.execute(query).all()
        if m is not None
    }


# -- from the contact facts ----------------------------------------------------------------------------
def first_contact(session: Session, desk: str, months: Sequence[str]) -> dict[str, Sums]:
    """FCR: contacts resolved at first contact ÷ contacts resolved, by the month of their resolution."""
    f = contact_facts.c
    return _by_month(
        session,
        f.resolved_month,
        _count_if(f.first_contact),
        func.count(),
        [f.desk == desk, f.resolved],
        months,
    )


def contacts(session: Session, desk: str, months: Sequence[str]) -> dict[str, Sums]:
    """Contacts to the desk (ICT01b), by the month they were logged."""
    f = contact_facts.c
    return _by_month(session, f.logged_month, func.count(), literal(1), [f.desk == desk], months)


def ratings(session: Session, desk: str, months: Sequence[str]) -> dict[str, Sums]:
    """Positive ratings ÷ ratings received (ICT02, with ICT02b the count), by the month of the rating."""
    f = contact_facts.c
    return _by_month(
        session,
        f.rated_month,
        _count_if(f.rating),
        func.count(),
        [f.desk == desk, f.rating.is_not(None)],
        months,
    )


def time_to_fix(session: Session, desk: str, months: Sequence[str], *, working: bool) -> dict[str, Sums]:
    """Total seconds to fix ÷ incidents fixed, by the month of the final resolution. Self-service
    resolutions are the requester's own fix, not an incident the desk fixed, so they are left out."""
    f = contact_facts.c
    seconds = f.fix_working_seconds if working else f.fix_seconds
    return _by_month(
        session,
        f.resolved_month,
        func.sum(seconds),
        func.count(),
        [f.desk == desk, f.resolved, f.self_service.is_(False)],
        months,
    )


def first_response(session: Session, desk: str, months: Sequence[str]) -> dict[str, Sums]:
    """Total seconds to the first response by someone other than the requester ÷ contacts answered."""
    f = contact_facts.c
    return _by_month(
        session,
        f.logged_month,
        func.sum(f.first_response_seconds),
        func.count(f.first_response_seconds),
        [f.desk == desk, f.first_response_seconds.is_not(None)],
        months,
    )


def moved(session: Session, desk: str, months: Sequence[str], *, escalated: bool) -> dict[str, Sums]:
    """Contacts escalated to a higher line (or transferred across) ÷ contacts logged, by month logged."""
    f = contact_facts.c
    flag = f.escalated if escalated else f.transferred
    return _by_month(session, f.logged_month, _count_if(flag), func.count(), [f.desk == desk], months)


def volumes(session: Session, desk: str, month: str, by: str) -> list[tuple[str, int]]:
    """Contacts logged in `month` by intent, queue or channel (source), busiest first."""
    f = contact_facts.c
    column = {"intent": f.intent, "queue": f.queue, "source": f.source}[by]
    query = (
        select(column, func.count())
        .where(f.desk == desk, f.logged_month == month)
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(name or "(none)", int(n)) for name, n in session.execute(query).all()]


def backlog_at(session: Session, desk: str, ends: Sequence[datetime]) -> list[int]:
    """Tickets open at each instant: logged before it and not finally resolved by then. One scan of the
    desk's facts, one CASE per instant."""
    f = contact_facts.c
    columns = [
        _count_if(and_(f.logged_at < end, (f.resolved_at.is_(None)) | (f.resolved_at >= end))) for end in ends
    ]
    if not columns:
        return []
    row = session.execute(select(*columns).where(f.desk == desk)).one()
    return [int(n or 0) for n in row]


_AGE_BUCKETS = ((1, "under a day"), (3, "1-3 days"), (7, "3-7 days"), (30, "7-30 days"))


def ageing(session: Session, desk: str, now: datetime) -> list[tuple[str, int]]:
    """Open tickets by age now, from the `tickets` projection (its status is current)."""
    t = tickets.c
    open_now = t.status.in_(["new", "triaged", "in_progress"])
    columns = []
    previous: datetime | None = None
    for days, _ in _AGE_BUCKETS:
        cutoff = now - timedelta(days=days)
        newer = t.created_at > cutoff
        columns.append(_count_if(newer if previous is None else and_(newer, t.created_at <= previous)))
        previous = cutoff
    assert previous is not None
    columns.append(_count_if(t.created_at <= previous))
    row = session.execute(select(*columns).where(t.desk == desk, open_now)).one()
    labels = [label for _, label in _AGE_BUCKETS] + [f"over {_AGE_BUCKETS[-1][0]} days"]
    return [(label, int(n or 0)) for label, n in zip(labels, row, strict=True)]


# -- from the imported telephony ----------------------------------------------------------------------
@dataclass(frozen=True)
class Calls:
    offered: int
    answered: int
    within_40s: int
    abandoned: int
    wait_seconds: float
    handle_seconds: float


def calls(session: Session, desk: str, months: Sequence[str], line: str | None = None) -> dict[str, Calls]:
    c = call_stats.c
    where = [c.desk == desk, c.month.in_(list(months))]
    if line is not None:
        where.append(c.line == line)
    query = (
        select(
            c.month,
            func.sum(c.offered),
            func.sum(c.answered),
            func.sum(c.answered_within_40s),
            func.sum(c.abandoned),
            func.sum(c.total_wait_seconds),
            func.sum(c.total_handle_seconds),
        )
        .where(*where)
        .group_by(c.month)
    )
    return {
        str(m): Calls(int(o or 0), int(a or 0), int(w or 0), int(ab or 0), float(ws or 0), float(hs or 0))
        for m, o, a, w, ab, ws, hs in session.execute(query).all()
    }


def calls_by_line(session: Session, desk: str, month: str) -> list[tuple[str, int, int]]:
    """(line, offered, answered) for the month, busiest first (CS08's volumes by line)."""
    c = call_stats.c
    query = (
        select(c.line, func.sum(c.offered), func.sum(c.answered))
        .where(c.desk == desk, c.month == month)
        .group_by(c.line)
        .order_by(func.sum(c.answered).desc(), c.line)
    )
    return [(line, int(o or 0), int(a or 0)) for line, o, a in session.execute(query).all()]


def records_begin(session: Session) -> datetime | None:
    """When this database's records begin: the first ticket logged or outage recorded (None: neither).
    Before then a service's availability is unknown, not 100%: no record of an outage is not a record
    of none."""
    first_ticket = session.execute(select(func.min(tickets.c.created_at))).scalar_one()
    first_outage = session.execute(select(func.min(outages.c.impact_start))).scalar_one()
    found = [at for at in (first_ticket, first_outage) if at is not None]
    return min(found) if found else None
