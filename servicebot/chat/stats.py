"""A desk's stats as sections of plain lines, the same words in every front end: the console prints them,
Slack sets them in Block Kit (`handlers.blocks.stats`). Markup is the front end's; only the RAG mark (an
emoji, always beside the word) is passed in, since a terminal and Slack spell emoji differently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from servicebot.domain.kpis import KpiRow, Measure, Rag, Unit
from servicebot.domain.message import Message, Span, Strong, say
from servicebot.domain.tickets import format_ref
from servicebot.reports.figures import day, dot_word, figure, month_name, number, rag_word, short_month
from servicebot.services.stats import DeskStats, ServiceFigure, why_headline

RagMark = Callable[[Rag | None], str]
UNICODE_RAG = {Rag.RED: "🔴", Rag.AMBER: "🟠", Rag.GREEN: "🟢"}


def unicode_mark(rag: Rag | None) -> str:
    return "⚪" if rag is None else UNICODE_RAG[rag]


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


_ASKED = {"today": "today", "yesterday": "yesterday", "week": "this week", "month": "this month"}


def title(stats: DeskStats) -> str:
    """ICT Service Desk stats, 23–30 Nov 2026 (this week, to date)."""
    words = [_ASKED[stats.asked]] if stats.asked in _ASKED else []
    if stats.to_date:
        words.append("to date")
    return f"{stats.desk_title} stats, {stats.days}" + (f" ({', '.join(words)})" if words else "")


def _percent(m: Measure | None, of: str) -> str | None:
    if m is None or m.value is None:
        return None
    counts = f"{number(m.numerator or 0)} of {number(m.denominator or 0)} {of}"
    return f"{figure(m.value, Unit.PERCENT, 1)} ({counts})"


def _or(text: str | None, missing: str) -> str:
    return text if text is not None else missing


def _hours(seconds: float) -> str:
    return figure(seconds / 3600, Unit.HOURS, 1)


def _minutes(minutes: float) -> str:
    """12 min 30 s under an hour and a half; 2.2 h beyond (133 minutes reads better in hours)."""
    return figure(minutes * 60, Unit.SECONDS) if minutes < 90 else figure(minutes / 60, Unit.HOURS, 1)


def sections(stats: DeskStats, mark: RagMark = unicode_mark) -> list[Section]:
    f = stats.figure
    contacts = f("contacts")
    fcr = f("fcr")
    resolved = 0 if fcr is None else int(fcr.denominator or 0)
    channels = ", ".join(f"{name} {n:,}" for name, n in stats.by_channel)
    volumes = [
        f"Contacts logged: {number(contacts.value or 0) if contacts else '0'}"
        + (f" (by channel: {channels})" if channels else ""),
        f"Contacts resolved: {resolved:,}",
    ]
    fix = f("time_to_fix_hours")
    fix_working = f("time_to_fix_working_hours")
    response = f("first_response_minutes")
    quality = [
        "First-contact resolution: " + _or(_percent(fcr, "resolved"), "nothing resolved"),
        "Positive rating: " + _or(_percent(f("positive_rating"), "ratings"), "no ratings"),
        "Time to fix: "
        + (
            "no incidents fixed"
            if fix is None or fix.value is None
            else f"{figure(fix.value, Unit.HOURS, 1)} average"
            + (
                f" ({figure(fix_working.value, Unit.HOURS, 1)} in working hours)"
                if fix_working is not None and fix_working.value is not None
                else ""
            )
            + f", {number(fix.denominator or 0)} incidents fixed"
        ),
        "First response: "
        + (
            "none yet"
            if response is None or response.value is None
            else f"{_minutes(response.value)} average"
        ),
    ]
    calls = [
        line
        for line in (
            _percent(f("calls_answered"), "offered"),
            _percent(f("calls_within_40s"), "answered"),
        )
        if line
    ]
    if calls:
        wait, handle = f("average_wait_seconds"), f("average_handle_seconds")
        calls = [f"Answered: {calls[0]}"] + ([f"Within 40 s: {calls[1]}"] if len(calls) > 1 else [])
        if wait is not None and wait.value is not None and handle is not None and handle.value is not None:
            calls.append(
                f"Average wait: {figure(wait.value, Unit.SECONDS)}; "
                f"average handle time: {figure(handle.value, Unit.SECONDS)}"
            )
    else:
        calls = ["No telephony imported for these days"]
    backlog_when = (
        "now" if stats.backlog_at >= stats.generated_at else f"at the end of {day(stats.days.last)}"
    )
    backlog = [
        f"Open {backlog_when}: {stats.backlog:,}",
        "Open now, by age: " + ", ".join(f"{label} {n:,}" for label, n in stats.ageing),
    ]
    for ticket in stats.oldest:
        age = _age(stats.generated_at, ticket.created_at)
        text = " ".join(ticket.text.split())
        text = text if len(text) <= 60 else text[:59] + "…"
        backlog.append(
            f"{format_ref(ticket.ticket_id)} open {age}, {ticket.status.replace('_', ' ')}, "
            f"{ticket.queue or 'no queue'}, {ticket.priority}: {text}"
        )
    kpi_title = f"KPIs, {month_name(stats.kpi_month)}"
    if not stats.kpis_are_the_days:
        kpi_title += " (KPIs are monthly: the month these days end in)"
    kpis = [_kpi_line(row, stats, mark) for row in stats.kpis] or ["No KPIs are defined for this desk"]
    found = [
        Section("Volumes", tuple(volumes)),
        Section("Resolution and satisfaction", tuple(quality)),
        Section("Availability in working hours", tuple(_service(s) for s in stats.availability)),
        Section("Calls", tuple(calls)),
        Section("Backlog", tuple(backlog)),
        Section(kpi_title, tuple(kpis)),
    ]
    return [s for s in found if s.lines]


def as_message(stats: DeskStats, mark: RagMark = unicode_mark) -> Message:
    """The stats as one message of words and structure: what a core-originated notice carries (a digest's
    daily stats as a `text` notice: `Notice("text", to, {"message": to_data(as_message(stats))})`)."""
    spans: list[Span] = [Strong(title(stats))]
    for part in sections(stats, mark):
        spans += ["\n", Strong(part.title)]
        spans += [span for line in part.lines for span in ("\n• ", line)]
    return say(*spans)


def headline_line(stats: DeskStats) -> str | None:
    """Which KPI the trend chart is of, and why that one."""
    if stats.headline is None:
        return None
    return f"the trend chart of {stats.headline.definition.ref} ({why_headline(stats.headline)})"


def _kpi_line(row: KpiRow, stats: DeskStats, mark: RagMark) -> str:
    d = row.definition
    value = figure(row.value, d.unit, d.decimals)
    parts = [
        f"target {figure(row.target, d.unit, d.decimals)}" if row.target is not None else None,
        f"floor {figure(row.floor, d.unit, d.decimals)}" if row.floor is not None else None,
        f"DoT {dot_word(row.dot)}" if row.dot is not None else None,
        f"figure of {short_month(row.shown)}"
        if row.shown is not None and row.shown != stats.kpi_month
        else None,
    ]
    detail = ", ".join(p for p in parts if p)
    rag = rag_word(row.rag, d.suspended) if row.rag is not None or d.suspended else "no figure"
    said = f"{mark(row.rag)} {rag} {d.ref} {d.description}" + (f": {value}" if row.value is not None else "")
    return said + (f" ({detail})" if detail else "")


def _service(found: ServiceFigure) -> str:
    m = found.measure
    if m is None:
        return f"{found.title}: no record yet"
    if m.value is None:
        return f"{found.title}: no working hours in these days"
    notes = [f"downtime {_hours(found.downtime_seconds)}" if found.downtime_seconds else "no downtime"]
    if found.planned_seconds:
        notes.append(f"planned maintenance {_hours(found.planned_seconds)}, not counted")
    return f"{found.title}: {figure(m.value, Unit.PERCENT, 2)} ({'; '.join(notes)})"


def _age(now: datetime, then: datetime) -> str:
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"
