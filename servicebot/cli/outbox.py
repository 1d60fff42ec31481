"""`servicebot outbox list|retry`: what the bot has to send to Slack, what it sent, and what it gave up on.

A message Slack refused for good (a channel that is gone, a malformed message) waits here for a person;
`retry` sends it again once the cause is fixed. Nothing is sent from here: the worker's relay sends.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from servicebot.bootstrap import Services
from servicebot.config import ConfigError
from servicebot.domain.outbox import Message, Status

STATUSES = [s.value for s in Status]


def add_parser(commands: Any, *, limit: Callable[[str], int], row_id: Callable[[str], int]) -> None:
    outbox = commands.add_parser("outbox", help="messages to Slack: pending, sent, failed; retry failed ones")
    actions = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the newest messages first, with their state and last error")
    listing.add_argument("--status", choices=[*STATUSES, "all"], default="all")
    listing.add_argument("--limit", type=limit, default=50, help="how many (default 50)")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    retry = actions.add_parser("retry", help="send failed messages again (by id, or --failed for all)")
    retry.add_argument("ids", nargs="*", type=row_id, help="message ids from 'servicebot outbox list'")
    retry.add_argument("--failed", action="store_true", help="every failed message")


def run(args: argparse.Namespace, services: Services) -> int:
    if args.outbox_command == "list":
        status = None if args.status == "all" else Status(args.status)
        messages = services.outbox.listed(status, args.limit)
        if args.format == "json":
            print(json.dumps([_json(m) for m in messages], indent=2))
        else:
            print("\n".join(_text(messages, services.outbox.counts(), services.settings.tz)))
        return 0
    if bool(args.ids) == bool(args.failed):
        # A usage error (status 2), as the command line's others, not a refusal of something asked for.
        raise ConfigError("outbox retry: give message ids, or --failed for every failed message (not both)")
    requeued = services.outbox.retry(args.ids or None)
    if not requeued:
        print("no failed messages to retry")
    else:
        shown = ", ".join(f"#{i}" for i in requeued)
        print(f"{len(requeued)} message(s) will be sent again by the worker: {shown}")
    return 0


def _json(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "key": m.key,
        "thread": m.thread,
        "method": m.method,
        "status": m.status.value,
        "attempts": m.attempts,
        "created_at": m.created_at.isoformat(),
        "next_attempt_at": m.next_attempt_at.isoformat() if m.status is Status.PENDING else None,
        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        "last_error": m.last_error,
        "result": m.result,
        "channel": m.payload.get("channel"),
    }


def _text(messages: list[Message], counts: dict[Status, int], zone: tzinfo) -> list[str]:
    lines = [", ".join(f"{n:,} {status.value}" for status, n in counts.items())]
    if not messages:
        lines.append("(no messages)")
    for m in messages:
        when = (m.sent_at or m.created_at).astimezone(zone).strftime("%d %b %H:%M:%S")
        state = m.status.value
        if m.status is Status.PENDING and m.attempts:
            state += f", try {m.attempts + 1} at {m.next_attempt_at.astimezone(zone):%H:%M:%S}"
        elif m.status is Status.FAILED:
            state += f" after {m.attempts} tries"
        line = f"#{m.id:<6} {when}  {m.method:<18} {state:<28} {m.key}"
        lines.append(line)
        if m.last_error and m.status is not Status.SENT:
            lines.append(f"         last error: {m.last_error}")
    return lines
