"""`servicebot alerts list|evaluate`: the breach alerts sent to KPI owners, and their evaluation now.

`evaluate` does what the bot does on its schedule: judge the last full month's dashboard, open, remind,
escalate and close episodes, and record their messages in the outbox (the running bot's relay sends them).
Running it again changes nothing until a state changes or a reminder falls due.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from servicebot.bootstrap import Services
from servicebot.domain.periods import Period
from servicebot.services.alerts import AlertView, Planned


def add_parser(commands: Any, *, limit: Callable[[str], int], period: Callable[[str], Period]) -> None:
    alerts = commands.add_parser("alerts", help="breach alerts to KPI owners: history, evaluate now")
    actions = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="alert episodes, newest first, with their state and events")
    listing.add_argument("--open", action="store_true", help="only episodes not yet closed")
    listing.add_argument("--limit", type=limit, default=50, help="how many (default 50)")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    evaluate = actions.add_parser("evaluate", help="judge the KPIs now and record the alerts owed")
    evaluate.add_argument("--dry-run", action="store_true", help="say what would be sent; record nothing")
    evaluate.add_argument(
        "--period",
        type=period,
        default=None,
        help="the dashboard month judged (default: the last full month)",
    )


def run(args: argparse.Namespace, services: Services) -> int:
    if args.alerts_command == "list":
        views = services.alerts.listed(open_only=args.open, limit=args.limit)
        if args.format == "json":
            print(json.dumps([_json(v) for v in views], indent=2))
        else:
            print("\n".join(_text(views, services.settings.tz)))
        return 0
    planned = services.alerts.evaluate(dry_run=args.dry_run, period=args.period)
    verb = "would" if args.dry_run else "did"
    if not planned:
        print("nothing to send: no KPI changed state and no reminder is due")
    for item in planned:
        print(f"{item.ref:<8} {item.what}")
    if args.dry_run:
        print(f"(dry run: {len(planned)} change(s) {verb} be recorded; nothing was)")
    return 0


def print_alerts(planned: list[Planned]) -> None:
    """After new figures (an import, new definitions): the alerts they raised or closed, if any; the
    running bot's relay sends them."""
    for item in planned:
        print(f"alert: {item.ref} {item.what}")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _json(view: AlertView) -> dict[str, Any]:
    record, episode = view.record, view.episode
    return {
        "id": episode.id,
        "ref": episode.ref,
        "desk": record.desk,
        "period": episode.period,
        "state": episode.state.value,
        "fingerprint": episode.fingerprint,
        "urgent": episode.urgent,
        "opened_at": _iso(episode.opened_at),
        "sends": episode.sends,
        "last_sent_at": _iso(episode.last_sent_at),
        "acknowledged_by": episode.acknowledged_by,
        "acknowledged_at": _iso(record.acknowledged_at),
        "snoozed_until": _iso(episode.snoozed_until),
        "snoozed_by": record.snoozed_by,
        "escalated_at": _iso(episode.escalated_at),
        "commentary": view.commentary,
        "closed_at": _iso(record.closed_at),
        "close_reason": record.close_reason,
        "events": [
            {"kind": e.kind, "at": e.at.isoformat(), "by": e.by, "detail": e.detail} for e in view.events
        ],
        "messages": [
            {"key": key, "status": status, "channel": channel, "ts": ts}
            for key, status, channel, ts in view.messages
        ],
    }


def _text(views: list[AlertView], zone: tzinfo) -> list[str]:
    if not views:
        return ["(no alerts)"]
    lines: list[str] = []
    for view in views:
        record, episode = view.record, view.episode
        state = "closed: " + (record.close_reason or "") if record.closed_at else "open"
        lines.append(
            f"#{episode.id:<5} {episode.ref:<7} {episode.state.value:<6} {episode.period or '-':<8} {state}"
        )
        for event in view.events:
            by = f" by {event.by}" if event.by else ""
            extra = ", ".join(f"{k}={v}" for k, v in event.detail.items() if v not in (None, "", []))
            lines.append(
                f"       {event.at.astimezone(zone):%d %b %Y %H:%M}  {event.kind}{by}"
                + (f" ({extra})" if extra else "")
            )
        sent = [f"{channel}/{ts}" for _, status, channel, ts in view.messages if status == "sent" and ts]
        waiting = sum(1 for _, status, _, _ in view.messages if status != "sent")
        if sent or waiting:
            lines.append(
                f"       messages: {len(sent)} sent"
                + (f" ({', '.join(sent[:4])})" if sent else "")
                + (f", {waiting} waiting or failed" if waiting else "")
            )
    return lines
