"""`servicebot kpi load|list|comment`, `servicebot dashboard` and `servicebot chart`: KPI definitions, values,
commentary, the committee dashboard and one KPI's trend chart. Only the database and the KPI service are
opened (no triage model).

Exit status as everywhere: 2 for usage, configuration and a file that cannot be used (a missing file,
broken YAML, definitions that do not validate); 1 for something asked for that is not there (an unknown
KPI) or values rows that were refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from servicebot.bootstrap import build_alerts, build_kpis, open_database
from servicebot.cli.alerts import print_alerts
from servicebot.config import ConfigError, Settings
from servicebot.domain.errors import InvalidInput
from servicebot.domain.kpis import ActivityRow, KpiDefinition, KpiRow
from servicebot.domain.periods import Period
from servicebot.imports.csvfile import ImportFileError
from servicebot.kpis.definitions import KpiDefinitionsError
from servicebot.reports import FORMATS, render
from servicebot.services.actors import OPERATOR
from servicebot.services.kpis import ALL_DESKS
from servicebot.storage import migrate

ArgType = Callable[[str], Any]


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


period_argument = _period


def _day(text: str) -> date:
    try:
        if len(text.strip()) != 10:
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2017-01-31"
        ) from None


def add_commands(
    commands: argparse._SubParsersAction[Any], *, path: ArgType, user_id: ArgType, text: ArgType
) -> None:
    """The `kpi` and `dashboard` parsers; `path`, `user_id` and `text` are the main parser's checks."""
    kpi = commands.add_parser("kpi", help="KPI definitions, published values and owners' commentary")
    actions = kpi.add_subparsers(dest="kpi_command", required=True, metavar="ACTION")
    load = actions.add_parser("load", help="replace the KPI definitions (and import values with them)")
    load.add_argument("--definitions", type=path, required=True, metavar="KPIS.yaml")
    load.add_argument(
        "--values", type=path, metavar="VALUES.csv", help="ref,period,value,ytd[,numerator,denominator]"
    )
    load.add_argument("--by", type=user_id, default="cli", help="who is loading (recorded)")
    listing = actions.add_parser(
        "list", help="the KPIs defined (the committed default until a set is loaded)"
    )
    listing.add_argument("--format", choices=["table", "json"], default="table")
    comment = actions.add_parser("comment", help="the owner's cause and action for a KPI's figure in a month")
    comment.add_argument("ref", type=text, help="the KPI, e.g. ICT01")
    comment.add_argument("period", type=_period, help="the month, YYYY-MM")
    comment.add_argument("--cause", type=text, required=True, help="what happened")
    comment.add_argument("--action", type=text, required=True, help="what is being done about it")
    comment.add_argument("--recovery", type=_day, help="expected back on target by, YYYY-MM-DD")
    comment.add_argument("--by", type=user_id, default="cli", help="who is commenting (a Slack user id)")

    dashboard = commands.add_parser("dashboard", help="the committee dashboard for a month")
    dashboard.add_argument("--period", type=_period, required=True, help="the month, YYYY-MM")
    dashboard.add_argument("--desk", default=ALL_DESKS, help="a desk's KPIs, or all (default)")
    dashboard.add_argument("--format", choices=FORMATS, default="json")
    dashboard.add_argument("--out", type=path, metavar="FILE", help="write it here instead of printing it")

    chart = commands.add_parser(
        "chart", help="one KPI's last 12 months against its target and floor, as a PNG"
    )
    chart.add_argument("ref", type=text, help="the KPI, e.g. ICT01 ('servicebot kpi list' shows them)")
    chart.add_argument(
        "--period",
        type=_period,
        help="the last month shown, YYYY-MM (default: last month, in the council's zone)",
    )
    chart.add_argument("--out", type=path, required=True, metavar="FILE.png", help="write the PNG here")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return _run(args, settings)
    except (KpiDefinitionsError, ImportFileError) as exc:
        # A file that cannot be used, like a configuration problem: status 2.
        raise ConfigError(str(exc)) from None


def _run(args: argparse.Namespace, settings: Settings) -> int:
    writes = args.command == "kpi" and args.kpi_command == "load"
    if args.command == "dashboard" and args.desk != ALL_DESKS and args.desk not in settings.desks:
        raise ConfigError(
            f"--desk: unknown desk {args.desk!r}; choose one of: {', '.join([*settings.desks, ALL_DESKS])}"
        )
    if args.command == "chart":
        # Said before any work: neither can ever take the file.
        out: Path = args.out
        if out.is_dir():
            raise ConfigError(f"--out: {out} is a folder; name a file in it, e.g. {out / 'chart.png'}")
        if not out.absolute().parent.is_dir():
            raise ConfigError(f"--out: {out}: there is no folder {out.absolute().parent}")
    # Reading commands need a ServiceBot database already there: a mistyped path must not become a new one.
    db = open_database(settings.database_url, must_exist=not writes)
    try:
        if writes:
            migrate.upgrade(db.engine)
        service = build_kpis(db, settings)
        if args.command == "dashboard":
            return _dashboard(args, service.dashboard(args.period, args.desk))
        if args.command == "chart":
            period = args.period or Period.containing(service.clock(), settings.tz).previous
            return _chart(args.out, service.row(args.ref, period), period)
        if args.kpi_command == "load":
            report = service.load_definitions(args.definitions, args.values, by=args.by, actor=OPERATOR)
            for line in report.lines():
                print(line, file=sys.stdout if report.ok else sys.stderr)
            if report.ok:
                print_alerts(build_alerts(db, settings, service).evaluate())
            return 0 if report.ok else 1
        if args.kpi_command == "list":
            _list(service.list(), args.format)
            return 0
        comment = service.comment(
            args.ref, args.period, args.cause, args.action, args.recovery, args.by, actor=OPERATOR
        )
        print(f"Commentary recorded for {comment.ref} {comment.period} by {comment.by}.")
        return 0
    finally:
        db.dispose()


def _dashboard(args: argparse.Namespace, dashboard: Any) -> int:
    try:
        text = render(dashboard, args.format)
    except ModuleNotFoundError as exc:
        if (exc.name or "").startswith("servicebot.reports"):
            raise ConfigError(f"--format {args.format}: this build has no {args.format} renderer") from None
        raise
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out: Path = args.out
    _write(out, text)
    rows = len(dashboard.kpis) + len(dashboard.activity)
    print(f"Wrote the {dashboard.period} dashboard ({args.format}, {rows} rows) to {out}.")
    return 0


def _chart(out: Path, row: KpiRow | ActivityRow, period: Period) -> int:
    # Imported here: matplotlib takes a moment to load, and no other command needs it.
    from servicebot.reports.chart import render_png

    _write(out, render_png(row))
    first = row.trend[0][0] if row.trend else period
    print(f"Wrote the {row.definition.ref} chart ({first} to {period}, PNG) to {out}.")
    return 0


def _write(out: Path, data: str | bytes) -> None:
    try:
        if isinstance(data, bytes):
            out.write_bytes(data)
        else:
            out.write_text(data, encoding="utf-8")
    except IsADirectoryError:
        raise ConfigError(f"--out: {out} is a folder; name a file in it") from None
    except OSError as exc:
        raise ConfigError(f"--out: {out}: cannot be written: {exc.strerror or exc}") from None


def _threshold(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _list(definitions: list[KpiDefinition], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps([_definition_json(d) for d in definitions], indent=2))
        return
    for d in definitions:
        t = d.thresholds
        bounds = (
            f"upper {_threshold(t.upper)} lower {_threshold(t.lower)}"
            if d.is_activity
            else f"target {_threshold(t.target)} floor {_threshold(t.floor)}"
        )
        flags = " (suspended)" if d.suspended else ""
        print(
            f"{d.ref:<8} {d.kind.value:<8} {d.frequency.value:<9} {d.unit.value:<8} {d.polarity.value:<16} "
            f"{bounds:<26} {d.source:<32} {d.desk or '-':<8} {d.description}{flags}"
        )


def _definition_json(d: KpiDefinition) -> dict[str, Any]:
    def thresholds(t: Any) -> dict[str, float | None]:
        return {"target": t.target, "floor": t.floor, "upper": t.upper, "lower": t.lower}

    return {
        "ref": d.ref,
        "description": d.description,
        "service_area": d.service_area,
        "director": d.director,
        "cabinet_member": d.cabinet_member,
        "delivery_by": d.delivery_by,
        "owners": list(d.owners),
        "unit": d.unit.value,
        "polarity": d.polarity.value,
        "frequency": d.frequency.value,
        "kind": d.kind.value,
        **thresholds(d.thresholds),
        "years": {year: thresholds(t) for year, t in d.thresholds_by_year.items()},
        "source": d.source,
        "desk": d.desk,
        "decimals": d.decimals,
        "suspended": d.suspended,
    }
