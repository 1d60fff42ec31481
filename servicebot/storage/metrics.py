"""The desk's figures as SQL aggregates: one GROUP BY over the contact facts (or the imported telephony)
per figure and span of months, never a loop over rows in Python. SQLAlchemy Core only, so the same
statements run on SQLite and PostgreSQL; months are the stored local `YYYY-MM` strings, so a month is an
indexed equality rather than a time-zone calculation in SQL.

The same statements also take a span of local days (`Days`, for stats on request): the figure's month
column gives way to its local day column (`logged_day`, `resolved_day`, the telephony's `day`), or, for a
figure with no day column (a rating's), to its instant within the days' UTC bounds. Only the filter
changes; the numerator, denominator and conditions are each figure's one definition.
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


@dataclass(frozen=True)
class Days:
    """Local days `first` to `last` (`YYYY-MM-DD`, both included) and their UTC bounds [start, end)."""

    first: str
    last: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """The key a span's figure is returned under, where a month's is its `YYYY-MM`."""
        return f"{self.first}..{self.last}"


# Months (`YYYY-MM`), each its own figure, or one span of days, one figure.
Span = Sequence[str] | Days


@dataclass(frozen=True)
class _When:
    """The columns that place a figure in time: its month, and its local day or, failing that, its
    instant (for a span of days)."""

    month: ColumnElement[str]
    day: ColumnElement[str] | None = None
    at: ColumnElement[datetime] | None = None

    def within(self, days: Days) -> ColumnElement[bool]:
        if self.day is not None:
            return self.day.between(days.first, days.last)
        assert self.at is not None, "a figure over days needs a day column or an instant"
        return and_(self.at >= days.start, self.at < days.end)


def _by_span(
    session: Session,
    when: _When,
    numerator: ColumnElement[float] | ColumnElement[int],
    denominator: ColumnElement[float] | ColumnElement[int],
    where: Sequence[ColumnElement[bool]],
    span: Span,
) -> dict[str, Sums]:
    if isinstance(span, Days):
        # One group without GROUP BY (PostgreSQL refuses a constant there); HAVING drops it when no row
        # matched, so an empty span has no figure, as an empty month has none.
        summed = select(numerator, denominator).where(*where, when.within(span)).having(func.count() > 0)
        row = session.execute(summed).first()
        return {} if row is None else {span.label: Sums(float(row[0] or 0), float(row[1] or 0))}
    month = when.month
    query = select(month, numerator, denominator).where(and_(*where, month.in_(list(span)))).group_by(month)
    return {
        str(m): Sums(float(n or 0), float(d or 0))
        for m, n, d in session.execute(query).all()
        if m is not None
    }


# -- from the contact facts ----------------------------------------------------------------------------
_F = contact_facts.c
_LOGGED = _When(_F.logged_month, day=_F.logged_day)
_RESOLVED = _When(_F.resolved_month, day=_F.resolved_day)
# No local day is stored for a rating: its instant within the days' bounds is the same test.
_RATED = _When(_F.rated_month, at=_F.rated_at)


def first_contact(session: Session, desk: str, span: Span) -> dict[str, Sums]:
    """FCR: contacts resolved at first contact ÷ contacts resolved, by the month of their resolution."""
    f = contact_facts.c
    return _by_span(
        session,
        _RESOLVED,
        _count_if(f.first_contact),
        func.count(),
        [f.desk == desk, f.resolved],
        span,
    )


def contacts(session: Session, desk: str, span: Span) -> dict[str, Sums]:
    """Contacts to the desk (ICT01b), by the month they were logged."""
    f = contact_facts.c
    return _by_span(session, _LOGGED, func.count(), literal(1), [f.desk == desk], span)


def ratings(session: Session, desk: str, span: Span) -> dict[str, Sums]:
    """Positive ratings ÷ ratings received (ICT02, with ICT02b the count), by the month of the rating."""
    f = contact_facts.c
    return _by_span(
        session,
        _RATED,
        _count_if(f.rating),
        func.count(),
        [f.desk == desk, f.rating.is_not(None)],
        span,
    )


def time_to_fix(session: Session, desk: str, span: Span, *, working: bool) -> dict[str, Sums]:
    """Total seconds to fix ÷ incidents fixed, by the month of the final resolution. Self-service
    resolutions are the requester's own fix, not an incident the desk fixed, so they are left out."""
    f = contact_facts.c
    seconds = f.fix_working_seconds if working else f.fix_seconds
    return _by_span(
        session,
        _RESOLVED,
        func.sum(seconds),
        func.count(),
        [f.desk == desk, f.resolved, f.self_service.is_(False)],
        span,
    )


def first_response(session: Session, desk: str, span: Span) -> dict[str, Sums]:
    """Total seconds to the first response by someone other than the requester ÷ contacts answered."""
    f = contact_facts.c
    return _by_span(
        session,
        _LOGGED,
        func.sum(f.first_response_seconds),
        func.count(f.first_response_seconds),
        [f.desk == desk, f.first_response_seconds.is_not(None)],
        span,
    )


def moved(session: Session, desk: str, span: Span, *, escalated: bool) -> dict[str, Sums]:
    """Contacts escalated to a higher line (or transferred across) ÷ contacts logged, by month logged."""
    f = contact_facts.c
    flag = f.escalated if escalated else f.transferred
    return _by_span(session, _LOGGED, _count_if(flag), func.count(), [f.desk == desk], span)


def volumes(session: Session, desk: str, month: str | Days, by: str) -> list[tuple[str, int]]:
    """Contacts logged in `month` (or a span of days) by intent, queue or channel (source), busiest first."""
    f = contact_facts.c
    column = {"intent": f.intent, "queue": f.queue, "source": f.source}[by]
    logged = _LOGGED.within(month) if isinstance(month, Days) else f.logged_month == month
    query = (
        select(column, func.count())
        .where(f.desk == desk, logged)
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


_OPEN = ["new", "triaged", "in_progress"]
_AGE_BUCKETS = ((1, "under a day"), (3, "1-3 days"), (7, "3-7 days"), (30, "7-30 days"))


def ageing(session: Session, desk: str, now: datetime) -> list[tuple[str, int]]:
    """Open tickets by age now, from the `tickets` projection (its status is current)."""
    t = tickets.c
    open_now = t.status.in_(_OPEN)
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


@dataclass(frozen=True)
class OpenTicket:
    ticket_id: int
    created_at: datetime
    status: str
    queue: str | None
    priority: str
    text: str


def oldest_open(session: Session, desk: str, limit: int) -> list[OpenTicket]:
    """The desk's longest-open tickets, oldest first: the tail of the ageing."""
    t = tickets.c
    query = (
        select(t.id, t.created_at, t.status, t.queue, t.priority, t.text)
        .where(t.desk == desk, t.status.in_(_OPEN))
        .order_by(t.created_at, t.id)
        .limit(limit)
    )
    return [
        OpenTicket(int(i), at, str(st), q, str(p), str(x or ""))
        for i, at, st, q, p, x in session.execute(query)
    ]


# -- from the imported telephony ----------------------------------------------------------------------
@dataclass(frozen=True)
class Calls:
    offered: int
    answered: int
    within_40s: int
    abandoned: int
    wait_seconds: float
    handle_seconds: float


def calls(session: Session, desk: str, span: Span, line: str | None = None) -> dict[str, Calls]:
    """The desk's telephony summed per month, or over a span of days (its local `day` column)."""
    c = call_stats.c
    sums = (
        func.sum(c.offered),
        func.sum(c.answered),
        func.sum(c.answered_within_40s),
        func.sum(c.abandoned),
        func.sum(c.total_wait_seconds),
        func.sum(c.total_handle_seconds),
    )
    where = [c.desk == desk]
    if line is not None:
        where.append(c.line == line)
    if isinstance(span, Days):
        # No GROUP BY: one row whatever matched; its count says whether anything did.
        where.append(c.day.between(span.first, span.last))
        rows = session.execute(select(*sums).where(*where).having(func.count() > 0)).all()
        found = [(span.label, *row) for row in rows]
    else:
        where.append(c.month.in_(list(span)))
        grouped = select(c.month, *sums).where(*where).group_by(c.month)
        found = [tuple(row) for row in session.execute(grouped)]
    return {
        str(m): Calls(int(o or 0), int(a or 0), int(w or 0), int(ab or 0), float(ws or 0), float(hs or 0))
        for m, o, a, w, ab, ws, hs in found
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
