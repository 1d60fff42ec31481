"""`servicebot digest` (a digest now, or shown with --dry-run) and `servicebot schedule list` (the jobs).

The digests themselves are configured in servicebot.yaml (`digests:`) and sent on schedule by the worker's
scheduler (servicebot/runtime/scheduler.py); these commands look at them from the terminal.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from servicebot.bootstrap import build_digests, open_database
from servicebot.config import DIGEST_CONTENTS, ConfigError, DigestSpec, Settings
from servicebot.domain.digests import render_text
from servicebot.domain.errors import InvalidInput
from servicebot.runtime.scheduler import job_id, stored_jobs
from servicebot.services.actors import OPERATOR
from servicebot.services.digests import DigestService, next_run

TIME = "%a %d %b %Y %H:%M"


def add_parsers(commands: Any) -> None:
    digest = commands.add_parser(
        "digest",
        help="send a desk's digest now, or show the next one with --dry-run",
        description="Without --name, the desk's configured digest that runs next (of --content, if given). "
        "Without --dry-run it is recorded in the outbox now, under a key of its own that says it was sent "
        "by hand; the worker sends it.",
    )
    digest.add_argument("--desk", default=None, help="desk id (default: the --name digest's desk)")
    digest.add_argument("--content", choices=DIGEST_CONTENTS, default=None, help="which kind of digest")
    digest.add_argument("--name", default=None, help="a configured digest, by name")
    digest.add_argument("--dry-run", action="store_true", help="show it here; record nothing")

    schedule = commands.add_parser("schedule", help="the scheduled digests")
    actions = schedule.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="each digest's schedule, next run, and whether it is stored")
    listing.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "schedule":
        return _schedule_list(args, settings)
    return _digest(args, settings)


# -- servicebot digest -------------------------------------------------------------------------------------
def _digest(args: argparse.Namespace, settings: Settings) -> int:
    if args.desk is not None and args.desk not in settings.desks:
        raise ConfigError(f"--desk: Unknown desk {args.desk!r}; choose one of: {', '.join(settings.desks)}.")
    if args.name is None and args.desk is None:
        raise ConfigError("digest: give --desk (the desk's next digest) or --name (a configured digest)")
    db = open_database(settings.database_url, must_exist=True)
    try:
        service = build_digests(db, settings)
        now = datetime.now(UTC)
        spec, configured = _chosen(args, settings, service, now)
        if args.dry_run:
            when = service.next_run(spec, now) if configured else None
            at = when or now
            print(_heading(spec, settings, configured, when))
            print()
            print(render_text(service.preview(spec, at, now=at if when else now, actor=OPERATOR)))
            return 0
        if not configured:
            raise InvalidInput(
                f"digest: no {spec.content} digest is configured for desk {spec.desk!r} (digests: in "
                f"{settings.config_path}), so there is no channel to send it to; --dry-run shows it"
            )
        sent = service.send_now(spec, actor=OPERATOR)
        print(
            f"Recorded digest {spec.name} for {spec.channel} now (outbox key {sent.key}); "
            "the worker sends it ('servicebot outbox list' shows it)."
        )
        return 0
    finally:
        db.dispose()


def _chosen(
    args: argparse.Namespace, settings: Settings, service: DigestService, now: datetime
) -> tuple[DigestSpec, bool]:
    """(the digest, whether it is configured): by --name; else the desk's configured digest (of
    --content) that runs next; else, for a dry run, one of --content (default the alert digest) made up
    for the desk."""
    if args.name is not None:
        spec = settings.digest(args.name)
        if args.desk is not None and spec.desk != args.desk:
            raise InvalidInput(f"--name: digest {spec.name!r} is for desk {spec.desk!r}, not {args.desk!r}")
        if args.content is not None and spec.content != args.content:
            raise InvalidInput(f"--name: digest {spec.name!r} is a {spec.content} digest, not {args.content}")
        return spec, True
    candidates = [
        d
        for d in settings.digests
        if d.desk == args.desk and (args.content is None or d.content == args.content)
    ]
    if candidates:
        far = datetime.max.replace(tzinfo=UTC)
        return min(candidates, key=lambda d: service.next_run(d, now) or far), True
    made_up = DigestSpec.model_construct(
        name=f"{args.desk}-{(args.content or 'alert_digest').replace('_', '-')}",
        cron="30 8 * * mon-fri",
        timezone=settings.timezone,
        desk=args.desk,
        channel="",
        content=args.content or "alert_digest",
        working_days_only=True,
        misfire_grace_minutes=360,
        file_format="html",
    )
    return made_up, False


def _heading(spec: DigestSpec, settings: Settings, configured: bool, when: datetime | None) -> str:
    if not configured:
        return (
            f"Digest {spec.content} for desk {spec.desk} (not configured: no schedule, no channel); "
            "dry run, nothing recorded:"
        )
    next_run = (
        f"next run {when.astimezone(settings.tz):{TIME}} ({settings.timezone})" if when else "no next run"
    )
    return (
        f"Digest {spec.name} ({spec.content}, desk {spec.desk}) to {spec.channel}, {next_run}; "
        "dry run, nothing recorded:"
    )


# -- servicebot schedule list ------------------------------------------------------------------------------
def _schedule_list(args: argparse.Namespace, settings: Settings) -> int:
    stored: dict[str, datetime | None] | None = None
    reason = ""
    try:
        db = open_database(settings.database_url, must_exist=True)
    except ConfigError as exc:
        reason = f"not read: {exc}"
        db = None
    try:
        if db is not None:
            stored = stored_jobs(db.engine)
            if stored is None:
                # No table yet: nothing is stored, and the scheduler will add the jobs when it starts.
                stored = {}
                reason = "not created yet: the scheduler has not run on this database"
        now = datetime.now(UTC)
        rows = [_row(spec, settings, stored, now) for spec in settings.digests]
        leftovers = sorted(set(stored or {}) - {job_id(d) for d in settings.digests})
    finally:
        if db is not None:
            db.dispose()
    if args.format == "json":
        print(
            json.dumps(
                {"digests": rows, "stored_not_configured": leftovers, "job_store": reason or "ok"}, indent=2
            )
        )
        return 0
    if not rows:
        print(f"No digests are configured (digests: in {settings.config_path}).")
    for row in rows:
        print(
            f"{row['name']}: {row['content']} for desk {row['desk']} to {row['channel']}, "
            f"cron '{row['cron']}' ({row['timezone']}"
            + (", working days only" if row["working_days_only"] else "")
            + ")"
        )
        print(f"  next run: {row['next_run_shown'] or 'none'}")
        stored_text = {True: "yes", False: "no (added when the scheduler starts)", None: "unknown"}[
            row["stored"]
        ]
        if row["stored_next_run_shown"]:
            due = (
                " (already due: sent late when the scheduler starts, if within its grace)"
                if row["stored_due"]
                else ""
            )
            stored_text += f", waiting for {row['stored_next_run_shown']}{due}"
        print(f"  stored in the job store: {stored_text}")
    for leftover in leftovers:
        print(f"{leftover}: stored but no longer configured (removed when the scheduler starts)")
    if reason:
        print(f"(job store: {reason})")
    return 0


def _row(
    spec: DigestSpec, settings: Settings, stored: dict[str, datetime | None] | None, now: datetime
) -> dict[str, Any]:
    when = next_run(spec, settings, now)
    waiting = (stored or {}).get(job_id(spec))
    return {
        "name": spec.name,
        "desk": spec.desk,
        "content": spec.content,
        "channel": spec.channel,
        "cron": spec.cron,
        "timezone": spec.timezone,
        "working_days_only": spec.working_days_only,
        "next_run": None if when is None else when.isoformat(),
        "next_run_shown": None
        if when is None
        else f"{when.astimezone(settings.tz):{TIME}} ({settings.timezone})",
        "stored": None if stored is None else job_id(spec) in stored,
        # What the stored job waits for: after downtime, a run already due (sent late when it starts).
        "stored_next_run": None if waiting is None else waiting.isoformat(),
        "stored_next_run_shown": None if waiting is None else _local(waiting, settings),
        "stored_due": waiting is not None and waiting <= now,
    }


def _local(at: datetime, settings: Settings) -> str:
    return f"{at.astimezone(settings.tz):{TIME}} ({settings.timezone})"
