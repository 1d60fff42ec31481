"""Digests: what a configured digest says when it is due, and recording it in the outbox exactly once.

`compose` reads the figures every other view reads (stats on request's figures over days, the KPI
dashboard, open outages), never its own sums. `run_scheduled` is what the scheduler's job does for one run:
on a day that is not a working day (when the digest is for working days only) it records nothing;
otherwise it records the digest under the key `digest:<name>:<scheduled local time>`, so a restart inside
the due window, a second replica or a re-run finds the key taken and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from servicebot.config import DigestSpec, Settings
from servicebot.domain.clock import Clock
from servicebot.domain.days import DayRange
from servicebot.domain.digests import Attachment, Digest, Item, Section, late_marker
from servicebot.domain.kpis import KpiDefinition, KpiRow, Rag
from servicebot.domain.outbox import Notice, Upload
from servicebot.domain.periods import Period
from servicebot.reports import render
from servicebot.reports.figures import dot_word, figure, local_time, month_name
from servicebot.services.actors import OPERATOR, Actor, Permission, require
from servicebot.services.kpis import KpiService
from servicebot.services.outages import OutageService
from servicebot.services.stats import DeskStats, StatsService
from servicebot.storage import outbox as outbox_rows
from servicebot.storage.db import Database

CONTENT_TITLES = {
    "daily_stats": "daily stats",
    "weekly_summary": "weekly summary",
    "monthly_dashboard": "monthly dashboard",
    "alert_digest": "alert digest",
}
# The figures a stats digest shows, in this order, with how each reads.
_STATS: tuple[tuple[str, str, str], ...] = (
    ("contacts", "Contacts logged", "count"),
    ("fcr", "Resolved at first contact", "percent"),
    ("positive_rating", "Positive ratings", "percent"),
    ("time_to_fix_hours", "Average time to fix", "hours"),
    ("first_response_minutes", "Average first response", "minutes"),
    ("escalation_rate", "Escalated to 2nd line", "percent"),
    ("calls_answered", "Calls answered", "percent"),
    ("calls_within_40s", "Answered within 40 s", "percent"),
    ("average_wait_seconds", "Average wait", "seconds"),
)


@dataclass(frozen=True)
class EpisodeSummary:
    """An open breach episode as the alert digest lists it (the lead's alert service fills these in):
    the KPI, the period and state it breached in, and where its follow-up stands."""

    ref: str
    period: str
    state: str  # AMBER | RED | range (an activity indicator out of its range)
    acknowledged_by: str | None = None
    snoozed_until: datetime | None = None
    commentary_given: bool = False


# desk id -> the desk's open breach episodes. The default knows of none.
OpenEpisodes = Callable[[str], Sequence[EpisodeSummary]]


# (outbox key, digest, thread) -> False when the key was taken already (this run was recorded before).
Record = Callable[[str, Digest, str], bool]
NOTICE_KIND = "digest"


def outbox_recorder(db: Database, clock: Clock) -> Record:
    """A digest into the outbox in one transaction: the notice (kind "digest", rendered by the Slack
    front end), and the monthly dashboard's file as an upload into the notice's thread."""

    def record(key: str, digest: Digest, thread: str) -> bool:
        now = clock()
        with db.transaction() as session:
            recorded = outbox_rows.record_notice(
                session, key, Notice(kind=NOTICE_KIND, to=digest.channel, data=digest.data()), thread, now
            )
            if recorded and digest.attachment is not None:
                file = digest.attachment
                upload = Upload(
                    to=digest.channel,
                    filename=file.filename,
                    title=file.title,
                    content=file.content,
                    reply_to=key,
                )
                outbox_rows.record_upload(session, f"{key}:file", upload, thread, now)
        return recorded

    return record


def no_episodes(_desk: str) -> Sequence[EpisodeSummary]:
    return ()


class Outcome(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already recorded"  # the key was taken: this run was recorded before (restart, replica)
    SKIPPED = "skipped: not a working day"


@dataclass(frozen=True)
class Run:
    name: str
    key: str
    outcome: Outcome
    digest: Digest | None = None


class DigestService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        stats: StatsService,
        kpis: KpiService,
        outages: OutageService,
        record: Record,
        open_episodes: OpenEpisodes = no_episodes,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.stats = stats
        self.kpis = kpis
        self.outages = outages
        self.record = record
        self.open_episodes = open_episodes

    # -- the scheduler's job ---------------------------------------------------------------------------
    def run_scheduled(self, name: str, scheduled_at: datetime) -> Run:
        """One scheduled run of digest `name`, due at `scheduled_at` (APScheduler's run time, not now)."""
        spec = self.settings.digest(name)
        key = scheduled_key(spec, scheduled_at)
        if spec.working_days_only and not self.is_working_day(spec, scheduled_at):
            return Run(name, key, Outcome.SKIPPED)
        now = self.clock()
        digest = self.compose(spec, scheduled_at, now=now)
        recorded = self.record(key, digest, thread_of(spec))
        return Run(name, key, Outcome.RECORDED if recorded else Outcome.ALREADY, digest)

    def catch_up(self, names: Sequence[str]) -> list[Run]:
        """For the digests `names` (those already on schedule), the latest scheduled run still within its
        misfire grace, run again: recorded if no one recorded it (a leader that died between the scheduler
        moving on and the outbox write, or a run missed while no replica led), else found already
        recorded. What a newly elected leader does."""
        now = self.clock()
        runs: list[Run] = []
        for name in names:
            spec = self.settings.digest(name)
            last = last_fire(spec, now)
            if last is not None:
                runs.append(self.run_scheduled(spec.name, last))
        return runs

    def send_now(self, spec: DigestSpec, *, actor: Actor = OPERATOR) -> Run:
        """Record the digest now, by hand (`servicebot digest` without --dry-run): its own key, so it is
        neither taken for nor stops the scheduled one. On request, so the person asking must be allowed
        (the command line's operator is)."""
        require(actor, Permission.SEND_DIGEST)
        now = self.clock()
        key = f"digest:{spec.name}:by-hand:{now.astimezone(spec.tz):%Y-%m-%dT%H:%M:%S%z}"
        digest = self.compose(spec, now, now=now, by_hand=True)
        recorded = self.record(key, digest, thread_of(spec))
        return Run(spec.name, key, Outcome.RECORDED if recorded else Outcome.ALREADY, digest)

    def is_working_day(self, spec: DigestSpec, at: datetime) -> bool:
        return is_working_day(spec, self.settings, at)

    def next_run(self, spec: DigestSpec, after: datetime) -> datetime | None:
        return next_run(spec, self.settings, after)

    def preview(
        self, spec: DigestSpec, at: datetime, *, now: datetime | None = None, actor: Actor = OPERATOR
    ) -> Digest:
        """The digest as it would be at `at`, recorded nowhere (`servicebot digest --dry-run`): it shows a
        desk's figures, so only to those allowed to ask for them."""
        require(actor, Permission.SEND_DIGEST)
        return self.compose(spec, at, now=now)

    # -- what a digest says ----------------------------------------------------------------------------
    def compose(
        self, spec: DigestSpec, scheduled_at: datetime, *, now: datetime | None = None, by_hand: bool = False
    ) -> Digest:
        now = self.clock() if now is None else now
        local = scheduled_at.astimezone(spec.tz)
        desk = self.settings.desk(spec.desk)
        title = f"{desk.title}: {CONTENT_TITLES[spec.content]}, {local:%a} {local.day} {local:%b %Y}"
        build = {
            "daily_stats": self._daily,
            "weekly_summary": self._weekly,
            "monthly_dashboard": self._monthly,
            "alert_digest": self._alerts,
        }[spec.content]
        digest: Digest = build(spec, scheduled_at, now)
        late = None if by_hand else late_marker(scheduled_at, now, spec.tz)
        return Digest(
            name=spec.name,
            content=spec.content,
            desk=spec.desk,
            channel=spec.channel,
            title=title,
            scheduled_at=scheduled_at,
            sections=digest.sections,
            late=late,
            by_hand=by_hand,
            note=digest.note,
            attachment=digest.attachment,
        )

    def _daily(self, spec: DigestSpec, scheduled_at: datetime, now: datetime) -> Digest:
        yesterday = scheduled_at.astimezone(spec.tz).date() - timedelta(days=1)
        found = self.stats.over(spec.desk, DayRange(yesterday, yesterday), "yesterday", False, now)
        note = f"Figures are for yesterday, {yesterday:%a} {yesterday.day} {yesterday:%b}."
        return _bare(spec, scheduled_at, stats_sections(found), note)

    def _weekly(self, spec: DigestSpec, scheduled_at: datetime, now: datetime) -> Digest:
        local = scheduled_at.astimezone(spec.tz).date()
        last_sunday = local - timedelta(days=local.weekday() + 1)
        monday = last_sunday - timedelta(days=6)
        found = self.stats.over(spec.desk, DayRange(monday, last_sunday), "last week", False, now)
        note = f"Last week: Mon {monday.day} {monday:%b} to Sun {last_sunday.day} {last_sunday:%b}."
        return _bare(spec, scheduled_at, stats_sections(found), note)

    def _monthly(self, spec: DigestSpec, scheduled_at: datetime, now: datetime) -> Digest:
        period = Period.containing(scheduled_at, spec.tz).previous
        dashboard = self.kpis.dashboard(period, spec.desk)
        counts = dashboard.rag_counts()
        summary = Section(
            f"{month_name(period)}: {len(dashboard.kpis)} KPIs",
            tuple(
                Item(f"{counts[rag]} {rag.value}", rag.value)
                for rag in (Rag.RED, Rag.AMBER, Rag.GREEN)
                if counts[rag]
            )
            + ((Item(f"{counts[None]} without a RAG (suspended or not published)"),) if counts[None] else ()),
            empty="no KPIs defined for this desk",
        )
        text = render(dashboard, spec.file_format)
        attachment = Attachment(
            filename=f"dashboard-{spec.desk}-{period}.{spec.file_format}",
            title=dashboard.title,
            content=text.encode("utf-8"),
        )
        return Digest(
            spec.name,
            spec.content,
            spec.desk,
            spec.channel,
            "",
            scheduled_at,
            (summary, _needing_action(dashboard.kpis)),
            attachment=attachment,
        )

    def _alerts(self, spec: DigestSpec, scheduled_at: datetime, now: datetime) -> Digest:
        period = Period.containing(scheduled_at, spec.tz).previous
        dashboard = self.kpis.dashboard(period, spec.desk)
        kpis = _needing_action(dashboard.kpis, heading=f"KPIs now AMBER or RED ({month_name(period)})")
        episodes = Section(
            "Open breach episodes",
            tuple(
                Item(_episode(e), e.state if e.state in ("RED", "AMBER") else None)
                for e in self.open_episodes(spec.desk)
            ),
            empty="none open",
        )
        services = {s.id: s.title for s in self.settings.services}
        outages = Section(
            "Open outages",
            tuple(
                Item(
                    f"{services.get(o.service, o.service)}: out since {local_time(o.started_at)}"
                    + (f" ({o.note})" if o.note else "")
                    + (" (planned)" if o.planned else "")
                )
                for o in self.outages.open_outages()
            ),
            empty="none: every service is up",
        )
        return _bare(spec, scheduled_at, (kpis, episodes, outages), "")


def is_working_day(spec: DigestSpec, settings: Settings, at: datetime) -> bool:
    """The same calendar as the metrics: weekends, England and Wales bank holidays and closures."""
    return settings.calendar().is_working_day(at.astimezone(spec.tz).date())


def next_run(spec: DigestSpec, settings: Settings, after: datetime) -> datetime | None:
    """When the digest next records something after `after`, in the configuration's time zone: its next
    fire time, skipping days that are not working days when it is for working days only (None: never,
    within two years)."""
    trigger = spec.trigger()
    at: datetime | None = trigger.get_next_fire_time(None, after)
    limit = after + timedelta(days=731)
    while at is not None and at < limit:
        if not spec.working_days_only or is_working_day(spec, settings, at):
            return at.astimezone(settings.tz)
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
    return None


def last_fire(spec: DigestSpec, now: datetime) -> datetime | None:
    """The digest's latest fire time at or before `now` and within its misfire grace, if any."""
    trigger = spec.trigger()
    last: datetime | None = None
    at: datetime | None = trigger.get_next_fire_time(
        None, now - timedelta(minutes=spec.misfire_grace_minutes)
    )
    while at is not None and at <= now:
        last = at
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
    return last


def scheduled_key(spec: DigestSpec, scheduled_at: datetime) -> str:
    """`digest:<name>:<scheduled local date and time, with its UTC offset>`: one per run, whoever runs it
    (the offset keeps the two 01:30s of the autumn clock change apart)."""
    return f"digest:{spec.name}:{scheduled_at.astimezone(spec.tz):%Y-%m-%dT%H:%M%z}"


def thread_of(spec: DigestSpec) -> str:
    """A digest's messages go out in order, and the monthly dashboard's file after its summary."""
    return f"digest:{spec.name}"


def _bare(spec: DigestSpec, scheduled_at: datetime, sections: Sequence[Section], note: str) -> Digest:
    return Digest(
        spec.name, spec.content, spec.desk, spec.channel, "", scheduled_at, tuple(sections), note=note
    )


def _value(measure_value: float | None, kind: str) -> str:
    if measure_value is None:
        return "no data"
    if kind == "percent":
        return f"{measure_value:.1f}%"
    if kind == "hours":
        return f"{measure_value:.1f} h"
    if kind == "minutes":
        return f"{measure_value:.0f} min"
    if kind == "seconds":
        return f"{measure_value:.0f} s"
    return f"{measure_value:,.0f}"


def stats_sections(found: DeskStats) -> tuple[Section, ...]:
    """The figures of the days, as stats on request computes them (one definition of each), and the work in
    hand at the end of the days and now."""
    by_name = {f.name: f for f in found.figures}
    figures = []
    for name, label, kind in _STATS:
        fig = by_name.get(name)
        if fig is None or fig.measure is None or fig.measure.value is None:
            continue
        m = fig.measure
        counts = (
            f" ({m.numerator:,.0f} of {m.denominator:,.0f})"
            if kind == "percent" and m.numerator is not None and m.denominator is not None
            else ""
        )
        figures.append(Item(f"{label}: {_value(m.value, kind)}{counts}"))
    last = found.days.last
    work = (
        Item(f"Open at the end of {last:%a} {last.day} {last:%b}: {found.backlog:,}"),
        Item("Open now, by age: " + (", ".join(f"{label} {n:,}" for label, n in found.ageing) or "none")),
    )
    return (
        Section("Figures", tuple(figures), empty="no figures recorded for these days"),
        Section("Work in hand", work),
    )


def _needing_action(rows: Sequence[KpiRow], heading: str = "KPIs AMBER or RED") -> Section:
    items = []
    for row in rows:
        if row.rag not in (Rag.AMBER, Rag.RED):
            continue
        d = row.definition

        def shown(value: float | None, d: KpiDefinition = d) -> str:
            return figure(value, d.unit, d.decimals)

        text = (
            f"{d.ref} {d.description}: {shown(row.value)} (target {shown(row.target)}, "
            f"floor {shown(row.floor)}, {dot_word(row.dot)})"
        )
        if row.commentary is None:
            text += "; commentary owed"
        assert row.rag is not None
        items.append(Item(text, row.rag.value))
    # RED first: the lead reads the worst first.
    items.sort(key=lambda i: 0 if i.rag == Rag.RED.value else 1)
    return Section(heading, tuple(items), empty="none: every KPI with a figure is GREEN")


def _episode(e: EpisodeSummary) -> str:
    parts = [f"{e.ref} {e.period} {e.state}"]
    parts.append(f"acknowledged by {e.acknowledged_by}" if e.acknowledged_by else "not acknowledged")
    if e.snoozed_until is not None:
        parts.append(f"snoozed until {local_time(e.snoozed_until)}")
    parts.append("commentary given" if e.commentary_given else "commentary owed")
    return ", ".join(parts)
