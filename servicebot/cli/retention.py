"""`servicebot retention apply [--dry-run]`: the retention policy, run by hand or from cron."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from servicebot.bootstrap import Services, open_inbox_if_present


def add_parser(commands: Any) -> None:
    retention = commands.add_parser(
        "retention",
        help="remove the free text of tickets closed longer ago than retention.closed_ticket_text_days",
    )
    actions = retention.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    apply = actions.add_parser(
        "apply",
        help="purge closed tickets' text (facts and metrics are kept); --dry-run says what would go",
        description="Removes the text of tickets closed longer ago than the configured period: the ticket's "
        "text, notes, reasons and comments, the outbox messages about it, the triage examples taught from "
        "it, and processed Slack requests received before then. Every figure the metrics and KPIs use is "
        "kept. One transaction per batch of tickets; running it again removes nothing more.",
    )
    apply.add_argument("--dry-run", action="store_true", help="count what would be removed, change nothing")


def run(args: argparse.Namespace, services: Services) -> int:
    retention = services.retention
    retention.period()  # a policy that is not set is said before any database work
    extra = open_inbox_if_present(services.settings) if retention.inbox_db is None else None
    try:
        if extra is not None:
            retention = dataclasses.replace(retention, inbox_db=extra)
        purge = retention.apply(dry_run=args.dry_run)
    finally:
        if extra is not None:
            extra.dispose()
    print("\n".join(purge.lines(services.settings.timezone)))
    return 0
