"""The `servicebot` command. Argument errors name the argument; config errors name the key."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intents.catalogue import CatalogueError
from servicebot.config import ConfigError, Settings, load_settings
from servicebot.domain.tickets import Status, TicketRuleError, parse_ref
from servicebot.services.actors import Role
from servicebot.services.tickets import TicketNotFound
from servicebot.storage.repository import TicketFilter
from servicebot.triage.labelled import LabelledDataError


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="servicebot", description="ServiceBot: triage, tickets and KPIs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="Slack (Socket Mode or HTTP) if configured, otherwise the console")

    serve = commands.add_parser("serve", help="serve Slack's Events API over HTTP at /slack/events")
    serve.add_argument("--http", action="store_true", help="HTTP mode (the only mode; kept for clarity)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=_port, default=3000)

    console = commands.add_parser("console", help="talk to the bot in this terminal")
    console.add_argument("--user", default="console-user", help="your user id (a Slack id such as U012AB3CD)")
    console.add_argument("--role", choices=[r.value for r in Role], default=None, help="default: agent")
    console.add_argument("--desk", default=None, help="desk to log tickets at (default: decided by triage)")

    tickets = commands.add_parser("tickets", help="list or show tickets")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")
    listing = ticket_commands.add_parser("list", help="list tickets, newest first")
    listing.add_argument("--status", action="append", choices=[s.value for s in Status], default=[])
    listing.add_argument("--desk")
    listing.add_argument("--queue")
    listing.add_argument("--assignee")
    listing.add_argument("--limit", type=_positive, default=50)
    listing.add_argument("--format", choices=["table", "json"], default="table")
    show = ticket_commands.add_parser("show", help="a ticket and its full history")
    show.add_argument("ticket", help="ticket id, e.g. T-00042")
    show.add_argument("--format", choices=["table", "json"], default="table")

    triage = commands.add_parser("triage", help="classify a query (or a file of them) without logging it")
    triage.add_argument("text", nargs="?", help="the query; omit with --batch")
    triage.add_argument("--batch", metavar="FILE", help="one query a line ('-' for stdin); JSON lines out")
    triage.add_argument("--desk", default=None, help="restrict to one desk's intents")
    triage.add_argument("--format", choices=["text", "json", "jsonl"], default=None)

    intents = commands.add_parser("intents", help="the intent catalogue")
    intent_commands = intents.add_subparsers(dest="intents_command", required=True, metavar="ACTION")
    check = intent_commands.add_parser("check", help="validate the catalogue and report what to fix")
    check.add_argument("--dir", type=Path, default=None, help="catalogue folder (default: the shipped one)")
    evaluate = intent_commands.add_parser("eval", help="train a fresh engine on TRAIN, report on TEST")
    evaluate.add_argument("--train", type=Path, required=True, help="CSV with columns text,label")
    evaluate.add_argument("--test", type=Path, required=True, help="CSV with columns text,label")
    evaluate.add_argument("--predictions", type=Path, help="write text,label,predicted,confidence here")
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.add_argument("--oos-label", help="the label of out-of-scope rows (report their recall)")
    evaluate.add_argument(
        "--threshold",
        type=_fraction,
        default=None,
        help="with --oos-label: below this confidence, out of scope",
    )
    imports = intent_commands.add_parser(
        "import", help="teach triage from historical tickets (CSV text,label)"
    )
    imports.add_argument(
        "file", type=Path, help="CSV with columns text,label (label: an intent id or out_of_scope)"
    )
    imports.add_argument("--by", default="cli", help="who is importing (recorded for audit)")
    learned = intent_commands.add_parser("learned", help="what triage has been taught: corrections and picks")
    learned.add_argument("--all", action="store_true", help="imported examples too")
    learned.add_argument("--limit", type=_positive, default=50)
    learned.add_argument("--format", choices=["table", "json"], default="table")
    revoke = intent_commands.add_parser("revoke", help="undo taught examples (by id, or a whole import)")
    revoke.add_argument(
        "ids", nargs="*", type=_positive, help="example ids from `servicebot intents learned`"
    )
    revoke.add_argument("--batch", help="an import's batch name, as `intents import` printed it")
    revoke.add_argument("--by", default="cli", help="who is revoking (recorded for audit)")
    revoke.add_argument("--reason", default="revoked from the command line")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations (alembic upgrade head)")
    db_commands.add_parser("current", help="show the schema revision")

    demo = commands.add_parser("demo", help="demo data")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    load = demo_commands.add_parser("load", help="write a seeded, realistic ticket history")
    load.add_argument("--months", type=_positive, default=12)
    load.add_argument("--seed", type=int, default=2016)
    load.add_argument("--if-empty", action="store_true", help="do nothing if there are tickets already")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {value}")
    return value


@dataclass(frozen=True)
class SlackModes:
    """The Slack front end's ways to run, handed in by the composition root (`bot.cli`): the core never
    imports Slack, so `run` and `serve` reach it through here."""

    run: Callable[[Settings], int]
    serve_http: Callable[[Settings, str, int], int]


def main(argv: Sequence[str] | None = None, slack: SlackModes | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return _dispatch(args, settings, slack)
    except (ConfigError, CatalogueError, LabelledDataError) as exc:
        print(f"servicebot: {exc}", file=sys.stderr)
        return 2
    except (TicketNotFound, TicketRuleError) as exc:
        print(f"servicebot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings, slack: SlackModes | None) -> int:
    from servicebot.bootstrap import build_services

    if args.command in ("triage", "intents"):
        return _triage_commands(args, settings)
    if args.command in ("run", "serve"):
        if slack is None:
            raise ConfigError(
                f"{args.command}: the Slack front end is not loaded here; use the installed `servicebot` "
                "command or `python bot.py`"
            )
        if args.command == "run":
            return slack.run(settings)
        return slack.serve_http(settings, args.host, args.port)
    if args.command == "db":
        from servicebot.storage import migrate
        from servicebot.storage.db import Database

        for url in dict.fromkeys([settings.database_url, settings.inbox_database_url]):
            database = Database(url)
            try:
                if args.db_command == "upgrade":
                    migrate.upgrade(database.engine)
                current, head = migrate.current_revision(database.engine), migrate.head_revision()
                print(f"schema revision: {current} (head {head})")
            finally:
                database.dispose()
        return 0
    services = build_services(settings)
    try:
        if args.command == "console":
            from servicebot.console.terminal import run_console

            role = Role(args.role) if args.role else Role.AGENT
            return run_console(services, user=args.user, role=role, desk=args.desk)
        if args.command == "tickets":
            return _tickets(args, services)
        if args.command == "demo":
            from servicebot.demo.generator import load_demo

            report = load_demo(services, months=args.months, seed=args.seed, if_empty=args.if_empty)
            print(report)
            return 0
    finally:
        services.close()
    raise AssertionError(f"unhandled command {args.command}")


def _triage_commands(args: argparse.Namespace, settings: Settings) -> int:
    from servicebot.bootstrap import build_services
    from servicebot.cli import triage as triage_commands
    from servicebot.triage.engine import DEFAULT_THRESHOLD

    if args.command == "intents" and args.intents_command == "eval":
        if args.threshold is not None and args.oos_label is None:
            raise ConfigError("--threshold: only used with --oos-label")
        threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
        return triage_commands.evaluate_files(
            args.train, args.test, args.predictions, args.format, args.oos_label, sys.stdout, threshold
        )
    if args.command == "intents" and args.intents_command == "check":
        return triage_commands.check_catalogue(settings, args.dir, sys.stdout)
    if args.command == "intents" and args.intents_command == "revoke" and not (args.ids or args.batch):
        raise ConfigError("revoke: give example ids or --batch NAME")
    if args.command == "triage":
        if args.desk is not None and args.desk not in settings.desks:
            raise ConfigError(f"--desk: unknown desk {args.desk!r}; desks: {', '.join(settings.desks)}")
        if (args.text is None) == (args.batch is None):
            raise ConfigError("triage: give either a text or --batch FILE, not both or neither")
        if args.batch is not None and args.format not in (None, "jsonl"):
            raise ConfigError("--format: --batch writes JSON lines (jsonl)")
        if args.batch is None and args.format == "jsonl":
            raise ConfigError("--format: jsonl is for --batch; use json for one text")
        source = None if args.batch in (None, "-") else Path(args.batch)
        if source is not None and not source.is_file():
            raise ConfigError(f"--batch: no such file {args.batch!r}")
    services = build_services(settings, background_training=False)
    try:
        if args.command == "intents":
            return triage_commands.training_command(args, services.training, settings.tz, sys.stdout)
        if args.batch is not None:
            return triage_commands.triage_batch(services.triage, source, args.desk, sys.stdout)
        return triage_commands.triage_one(
            services.triage, args.text, args.desk, args.format or "text", sys.stdout
        )
    finally:
        services.close()


def _tickets(args: argparse.Namespace, services: Any) -> int:
    from servicebot.console.render import ticket_line

    tz = services.settings.tz
    if args.tickets_command == "list":
        if args.desk and args.desk not in services.settings.desks:
            raise ConfigError(
                f"--desk: unknown desk {args.desk!r}; desks: {', '.join(services.settings.desks)}"
            )
        where = TicketFilter(
            statuses=tuple(Status(s) for s in args.status),
            desk=args.desk,
            queue=args.queue,
            assignee=args.assignee,
            limit=args.limit,
        )
        found = services.tickets.search(where)
        if args.format == "json":
            print(json.dumps([_ticket_json(t) for t in found], indent=2))
        else:
            for ticket in found:
                print(ticket_line(ticket, services.catalogue, tz))
            if not found:
                print("No tickets match.")
        return 0
    ticket_id = parse_ref(args.ticket)
    ticket = services.tickets.get(ticket_id)
    events = services.tickets.history(ticket_id)
    if args.format == "json":
        data = _ticket_json(ticket)
        data["history"] = [
            {
                "seq": e.seq,
                "kind": e.kind.value,
                "actor": e.actor,
                "at": e.at.isoformat(),
                "from": e.from_value,
                "to": e.to_value,
                "data": e.data,
            }
            for e in events
        ]
        print(json.dumps(data, indent=2))
        return 0
    print(ticket_line(ticket, services.catalogue, tz))
    print(f"  text: {ticket.text}")
    for e in events:
        change = f" {e.from_value or '-'} -> {e.to_value}" if e.to_value is not None else ""
        print(f"  {e.seq:>3} {e.at.astimezone(tz):%Y-%m-%d %H:%M %Z} {e.kind.value:<18} {e.actor}{change}")
    return 0


def _ticket_json(ticket: Any) -> dict[str, Any]:
    return {
        "id": ticket.ref,
        "desk": ticket.desk,
        "status": ticket.status.value,
        "intent": ticket.intent,
        "queue": ticket.queue,
        "priority": ticket.priority,
        "confidence": ticket.confidence,
        "assignee": ticket.assignee,
        "requester": ticket.requester,
        "text": ticket.text,
        "created_at": ticket.created_at.isoformat(),
        "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
        "rating": ticket.rating,
    }


if __name__ == "__main__":
    sys.exit(main())
