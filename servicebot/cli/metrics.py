"""`servicebot metrics --period YYYY-MM [--desk ict] [--format text|json]`: every figure of a desk for a
month from its own records and the imported telephony, each rate with the counts behind it."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from servicebot.bootstrap import Services
from servicebot.cli.options import desk_option
from servicebot.domain.errors import InvalidInput
from servicebot.domain.periods import Period
from servicebot.services.metrics import DeskFigures, desk_figures


def add_parser(commands: Any, path_type: Any) -> None:
    metrics = commands.add_parser(
        "metrics", help="a desk's figures for a month: FCR, ratings, time to fix, calls, backlog, volumes"
    )
    metrics.add_argument("--period", type=_period, required=True, help="the month, YYYY-MM")
    metrics.add_argument("--desk", default=None, help="desk id (default: the ICT desk)")
    metrics.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace, services: Services) -> int:
    period: Period = args.period
    desk_option(services.settings, args.desk)
    desk = args.desk or services.settings.default_desk.id
    found = desk_figures(services.metrics, desk, period, datetime.now(UTC))
    print(json.dumps(_json(found), indent=2) if args.format == "json" else "\n".join(_text(found)))
    return 0


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _text(found: DeskFigures) -> list[str]:
    lines = [f"{found.desk} desk, {found.period}"]
    for figure in found.figures:
        m = figure.measure
        if m is None or m.value is None:
            shown = "no data"
        elif m.denominator is not None:
            shown = f"{m.value:,.2f} ({_number(m.numerator or 0)} of {_number(m.denominator)})"
        else:
            shown = _number(m.value)
        lines.append(f"  {figure.name:<26} {shown:<28} {figure.description}")
    lines.append(f"  open at the end of the month: {found.backlog_at_end:,}")
    lines.append("  open now, by age: " + ", ".join(f"{label} {n:,}" for label, n in found.ageing_now))
    for title, rows in (
        ("by intent", found.by_intent),
        ("by queue", found.by_queue),
        ("by channel", found.by_channel),
    ):
        lines.append(f"  contacts {title}: " + (", ".join(f"{k} {n:,}" for k, n in rows) or "none"))
    if found.calls_by_line:
        lines.append(
            "  calls by line (answered of offered): "
            + ", ".join(f"{line} {a:,} of {o:,}" for line, o, a in found.calls_by_line)
        )
    return lines


def _json(found: DeskFigures) -> dict[str, Any]:
    return {
        "desk": found.desk,
        "period": str(found.period),
        "figures": {
            f.name: None
            if f.measure is None
            else {
                "value": f.measure.value,
                "numerator": f.measure.numerator,
                "denominator": f.measure.denominator,
            }
            for f in found.figures
        },
        "backlog_at_end": found.backlog_at_end,
        "ageing_now": dict(found.ageing_now),
        "by_intent": dict(found.by_intent),
        "by_queue": dict(found.by_queue),
        "by_channel": dict(found.by_channel),
        "calls_by_line": [{"line": line, "offered": o, "answered": a} for line, o, a in found.calls_by_line],
    }
