"""KPIs as a use case: load the definitions (and their values), list them, record owners' commentary, and
build the committee dashboard for a month from the definitions, the metrics and the published values.

Where a figure comes from: a KPI whose source names a metric (`fcr:ict`) gets its monthly measures from the
`MetricSource`; a `manual` one from the values imported for it. An imported value also stands for a
computed KPI in a month where one was imported (history from before ServiceBot, or a published
correction), and published year-to-date figures always come from the imports.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from servicebot.config import Settings, UnknownDesk
from servicebot.domain import kpi_rules
from servicebot.domain.clock import Clock
from servicebot.domain.errors import InvalidInput, NotFound
from servicebot.domain.kpis import (
    ActivityRow,
    Commentary,
    Dashboard,
    KpiDefinition,
    KpiRow,
    Measure,
    ServiceArea,
)
from servicebot.domain.periods import Period
from servicebot.imports.csvfile import Parsed, RowProblem, read_text
from servicebot.imports.values import COLUMNS, OPTIONAL, ValueRow, parse_values
from servicebot.kpis.definitions import (
    KNOWN_SOURCES,
    MANUAL,
    KpiDefinitionsError,
    default_definitions,
    load_definitions,
)
from servicebot.services.actors import OPERATOR, Actor, Permission, require
from servicebot.services.imports import ImportContext, Importer, Written
from servicebot.storage import kpis as store
from servicebot.storage.db import Database

logger = logging.getLogger(__name__)

ALL_DESKS = "all"
MAX_COMMENT = 2000  # characters of cause or action: a paragraph for the committee, not a report


class MetricSource(Protocol):
    """Monthly measures of a named metric (`fcr:ict`, `availability:email`) for the periods asked; a period
    with nothing measured is left out."""

    def series(self, source: str, periods: list[Period]) -> dict[Period, Measure]: ...

    def check(self, source: str) -> None:
        """Raise InvalidInput naming what is wrong if `source` cannot be computed here (a desk or a
        service that is not configured)."""

    def note(self, source: str, period: Period) -> str | None:
        """What to print beside the source's figure for `period` (None: nothing)."""


class NoMetrics:
    """Until the metric registry is wired in: nothing is computed, so only imported values show."""

    def series(self, source: str, periods: list[Period]) -> dict[Period, Measure]:
        return {}

    def check(self, source: str) -> None:
        return None

    def note(self, source: str, period: Period) -> str | None:
        return None


@dataclass(frozen=True)
class LoadReport:
    definitions_name: str
    definitions: int
    values_name: str | None = None
    values_rows: int = 0
    problems: tuple[RowProblem, ...] = ()
    written: Written = field(default_factory=Written)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self, max_problems: int = 50) -> list[str]:
        if self.problems:
            lines = [
                f"{self.values_name}: {len(self.problems):,} of {self.values_rows:,} rows rejected, so "
                "nothing was loaded (neither the definitions nor the values); fix them and load again"
            ]
            lines += [f"  {problem}" for problem in self.problems[:max_problems]]
            if len(self.problems) > max_problems:
                lines.append(f"  … and {len(self.problems) - max_problems:,} more rejected rows")
            return lines
        lines = [
            f"{self.definitions_name}: loaded {self.definitions} KPI definitions (the previous set replaced)"
        ]
        if self.values_name is not None:
            w = self.written
            lines.append(
                f"{self.values_name}: {self.values_rows:,} rows; wrote {w.new:,} new, {w.updated:,} updated, "
                f"{w.unchanged:,} unchanged"
            )
        return lines


def _stored(row: ValueRow) -> store.KpiValue:
    return store.KpiValue(row.ref, row.period, row.value, row.ytd, row.numerator, row.denominator)


class KpiService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        metrics: MetricSource | None = None,
        known_sources: frozenset[str] = KNOWN_SOURCES,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.metrics: MetricSource = metrics or NoMetrics()
        self.known_sources = known_sources

    # -- definitions -------------------------------------------------------------------------------------
    @cached_property
    def default(self) -> list[KpiDefinition]:
        return default_definitions(self.settings.desks, self.known_sources)

    def definitions_in(self, session: Session) -> list[KpiDefinition]:
        """The loaded set, or the committed default if none was ever loaded."""
        return store.read_definitions(session) or self.default

    def definitions_by_ref_in(self, session: Session) -> dict[str, KpiDefinition]:
        return {d.ref: d for d in self.definitions_in(session)}

    def list(self) -> list[KpiDefinition]:
        with self.db.read() as session:
            return self.definitions_in(session)

    def load_definitions(
        self, path: Path, values_path: Path | None = None, by: str = "cli", *, actor: Actor = OPERATOR
    ) -> LoadReport:
        """Validate the definitions (and the values against them) first; then replace the set and write the
        values in one transaction. Any problem and nothing is written. An admin's (the command line's)."""
        require(actor, Permission.LOAD_KPIS)
        name = str(path)
        definitions = load_definitions(path, known_sources=self.known_sources, desks=self.settings.desks)
        uncomputable = []
        for definition in definitions:
            if definition.source != MANUAL:
                try:
                    self.metrics.check(definition.source)
                except InvalidInput as exc:
                    uncomputable.append(f"{definition.ref}: {exc}")
        if uncomputable:
            # Loaded, such a KPI would have no figure on any dashboard: refused now, by KPI and source.
            raise KpiDefinitionsError(f"{name}: " + "; ".join(uncomputable))
        if values_path is None:
            parsed: Parsed[ValueRow] | None = None
        else:
            parsed = parse_values(read_text(values_path), str(values_path), {d.ref: d for d in definitions})
            if parsed.problems:
                return LoadReport(
                    name, len(definitions), str(values_path), parsed.rows, tuple(parsed.problems)
                )
        now = self.clock()
        with self.db.transaction() as session:
            store.replace_definitions(session, definitions, now, by)
            written = Written()
            if parsed is not None:
                batch = f"{Path(parsed.name).name} {now:%Y-%m-%dT%H:%M:%SZ}"
                records = [_stored(record) for _, record in parsed.records]
                written = Written(*store.upsert_values(session, records, batch, now))
        return LoadReport(
            name,
            len(definitions),
            None if parsed is None else parsed.name,
            0 if parsed is None else parsed.rows,
            (),
            written,
        )

    def values_importer(self) -> Importer:
        """`servicebot import values FILE`: rows checked against the definitions in the import's context
        (`ImportContext.kpi_definitions`; this service's own if the context has none)."""

        def parse(content: str, name: str, context: ImportContext) -> Parsed[Any]:
            definitions = context.kpi_definitions
            if not definitions:
                with self.db.read() as session:
                    definitions = self.definitions_by_ref_in(session)
            return parse_values(content, name, definitions)

        def write(session: Session, records: list[Any], batch: str, _context: ImportContext) -> Written:
            return Written(*store.upsert_values(session, [_stored(r) for r in records], batch, self.clock()))

        return Importer("values", ",".join((*COLUMNS, *OPTIONAL)), parse, write)

    # -- commentary --------------------------------------------------------------------------------------
    def comment(
        self,
        ref: str,
        period: Period,
        cause: str,
        action: str,
        recovery: date | None,
        by: str,
        *,
        actor: Actor = OPERATOR,
    ) -> Commentary:
        """The owner's cause, action and expected recovery for a KPI's figure in a month: its owners' or a
        manager's to give (the command line's operator records it for them, `--by`)."""
        with self.db.transaction() as session:
            known = self.definitions_by_ref_in(session)
            owners = known[ref].owners if ref in known else ()
            require(actor, Permission.COMMENT_KPI, owners=owners, owners_named=f"{ref}'s owners")
            return self.comment_in(session, ref, period, cause, action, recovery, by)

    def comment_in(
        self,
        session: Session,
        ref: str,
        period: Period,
        cause: str,
        action: str,
        recovery: date | None,
        by: str,
    ) -> Commentary:
        """`comment`, within a caller's transaction (an alert's commentary is also an event of the alert)."""
        cause, action = cause.strip(), action.strip()
        for name, text in (("cause", cause), ("action", action)):
            if not text:
                raise InvalidInput(
                    f"{name}: is blank; say what happened (cause) and what is being done (action)"
                )
            if len(text) > MAX_COMMENT:
                raise InvalidInput(f"{name}: {len(text):,} characters, over the {MAX_COMMENT:,} allowed")
        if recovery is not None and recovery < period.first_day:
            raise InvalidInput(f"recovery: {recovery} is before {period}, the month commented on")
        known = self.definitions_by_ref_in(session)
        if ref not in known:
            raise NotFound(f"no KPI {ref!r}; 'servicebot kpi list' shows the KPIs defined")
        commentary = Commentary(ref, period, cause, action, recovery, by, self.clock())
        store.add_comment(session, commentary)
        return commentary

    # -- the dashboard -----------------------------------------------------------------------------------
    def _measured(self, definition: KpiDefinition, months: builtins.list[Period]) -> dict[Period, Measure]:
        """The KPI's computed figures. A source the configuration no longer supports (a service or desk
        removed since the definitions were loaded) leaves the row without figures rather than taking down
        the whole dashboard; `kpi load` refuses such a source up front."""
        try:
            return dict(self.metrics.series(definition.source, months))
        except InvalidInput:
            logger.warning("KPI %s: source %s cannot be computed", definition.ref, definition.source)
            return {}

    def dashboard(self, period: Period, desk: str = ALL_DESKS) -> Dashboard:
        """The committee dashboard for `period`, for one desk's KPIs or all of them."""
        if desk != ALL_DESKS and desk not in self.settings.desks:
            raise UnknownDesk(desk, [*self.settings.desks, ALL_DESKS])
        months = kpi_rules.months_needed(period)
        with self.db.read() as session:
            definitions = [d for d in self.definitions_in(session) if desk == ALL_DESKS or d.desk == desk]
            imported, ytds = store.read_values(session, [d.ref for d in definitions], months[0], months[-1])
        # The metric source opens its own reads: outside the one above (one transaction per thread).
        series: dict[str, dict[Period, Measure]] = {}
        for definition in definitions:
            measured = {} if definition.source == MANUAL else self._measured(definition, months)
            measured.update(imported.get(definition.ref, {}))
            series[definition.ref] = measured
        kpi_rows = {
            d.ref: kpi_rules.kpi_row(d, series[d.ref], ytds.get(d.ref, {}), period)
            for d in definitions
            if not d.is_activity
        }
        for ref, row in kpi_rows.items():
            if (
                row.shown is not None
                and row.definition.source != MANUAL
                and row.shown not in imported.get(ref, {})
            ):
                kpi_rows[ref] = replace(row, note=self.metrics.note(row.definition.source, row.shown))
        wanted = [
            (ref, row.shown) for ref, row in kpi_rows.items() if row.shown and kpi_rules.needs_commentary(row)
        ]
        if wanted:
            with self.db.read() as session:
                comments = store.latest_comments(session, [r for r, _ in wanted], [p for _, p in wanted])
            for ref, shown in wanted:
                if (ref, shown) in comments:
                    kpi_rows[ref] = _with_commentary(kpi_rows[ref], comments[(ref, shown)])
        activity_rows = {
            d.ref: kpi_rules.activity_row(d, series[d.ref], ytds.get(d.ref, {}), period)
            for d in definitions
            if d.is_activity
        }
        return Dashboard(
            title=self._title(period, desk),
            period=period,
            desk=desk,
            generated_at=self.clock(),
            areas=_areas(definitions, kpi_rows, activity_rows),
        )

    def row(self, ref: str, period: Period) -> KpiRow | ActivityRow:
        """One KPI's (or activity indicator's) row of the dashboard for `period`, found by ref in any service
        area: the figures the dashboard shows, for the trend chart. A ref in another case (`ict01`) is
        taken when it names one KPI only."""
        dashboard = self.dashboard(period)
        rows: dict[str, KpiRow | ActivityRow] = {r.definition.ref: r for r in dashboard.kpis}
        rows.update((r.definition.ref, r) for r in dashboard.activity)
        if ref in rows:
            return rows[ref]
        folded = [r for known, r in rows.items() if known.casefold() == ref.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise NotFound(f"no KPI {ref!r}; {_some_refs(list(rows))}")

    def _title(self, period: Period, desk: str) -> str:
        whose = "all services" if desk == ALL_DESKS else self.settings.desks[desk].title
        return f"Performance dashboard, {whose}: results up to {period.first_day:%B %Y}"


def _some_refs(refs: list[str], shown: int = 6) -> str:
    if not refs:
        return "no KPIs are defined ('servicebot kpi load' loads them)"
    more = f" and {len(refs) - shown} more" if len(refs) > shown else ""
    return f"known: {', '.join(refs[:shown])}{more} ('servicebot kpi list' shows them all)"


def _with_commentary(row: KpiRow, commentary: Commentary) -> KpiRow:
    return replace(row, commentary=commentary)


def _areas(
    definitions: list[KpiDefinition], kpis: Mapping[str, KpiRow], activity: Mapping[str, ActivityRow]
) -> tuple[ServiceArea, ...]:
    """Service areas in the order they first appear; the header from the area's first definition."""
    order: dict[str, list[KpiDefinition]] = {}
    for definition in definitions:
        order.setdefault(definition.service_area, []).append(definition)
    areas = []
    for name, members in order.items():
        head = members[0]
        areas.append(
            ServiceArea(
                name=name,
                director=head.director,
                cabinet_member=head.cabinet_member,
                delivery_by=head.delivery_by,
                kpis=tuple(kpis[d.ref] for d in members if d.ref in kpis),
                activity=tuple(activity[d.ref] for d in members if d.ref in activity),
            )
        )
    return tuple(areas)
