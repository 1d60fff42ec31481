"""The `servicebot` command. Argument errors name the argument; config errors name the key."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

from intents.catalogue import CatalogueError
from servicebot import logs
from servicebot.cli import alerts, digests, kpis, metrics, outbox, retention
from servicebot.cli.options import desk_option
from servicebot.config import ConfigError, Settings, load_settings
from servicebot.domain.errors import UserError
from servicebot.domain.ids import MAX_ROW_ID
from servicebot.domain.tickets import Status
from servicebot.imports.csvfile import ImportFileError
from servicebot.services.actors import OPERATOR, Role
from servicebot.services.importers import KINDS
from servicebot.triage.classifier import TrainingError
from servicebot.triage.labelled import LabelledDataError


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other refusal: what was wrong, and where the usage is."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes what was typed as it came: a line break or carriage return in an argument would
        # split the one line (or hide its start), so anything unprintable is written escaped.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        self.exit(2, f"{self.prog}: {shown} (see '{self.prog} --help')\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="servicebot", description="ServiceBot: triage, tickets and KPIs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="Slack (Socket Mode or HTTP) if configured, otherwise the console")

    serve = commands.add_parser("serve", help="serve Slack's Events API over HTTP at /slack/events")
    serve.add_argument("--http", action="store_true", help="HTTP mode (the only mode; kept for clarity)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=_port, default=3000, help="0 for any free port (default: 3000)")

    console = commands.add_parser("console", help="talk to the bot in this terminal")
    console.add_argument(
        "--user", type=_user_id, default="console-user", help="your user id (a Slack id such as U012AB3CD)"
    )
    console.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=None,
        help="act as this role (default: agent of every desk, or the role the configuration gives --user)",
    )
    console.add_argument("--desk", default=None, help="desk to log tickets at (default: decided by triage)")

    tickets = commands.add_parser("tickets", help="list or show tickets")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")
    listing = ticket_commands.add_parser("list", help="list tickets, newest first")
    listing.add_argument("--status", action="append", choices=[s.value for s in Status], default=[])
    listing.add_argument("--desk")
    listing.add_argument("--queue")
    listing.add_argument("--assignee")
    listing.add_argument("--limit", type=_limit, default=50, help=f"1 to {MAX_LIMIT:,} (default 50)")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    show = ticket_commands.add_parser("show", help="a ticket and its full history")
    show.add_argument("ticket", help="ticket id, e.g. T-00042")
    show.add_argument("--format", choices=["table", "json"], default="table")

    triage = commands.add_parser("triage", help="classify a query (or a file of them) without logging it")
    triage.add_argument("text", nargs="?", help="the query; omit with --batch")
    triage.add_argument(
        "--batch", type=_text, metavar="FILE", help="one query a line ('-' for stdin); JSON lines out"
    )
    triage.add_argument("--desk", default=None, help="restrict to one desk's intents")
    triage.add_argument("--format", choices=["text", "json", "jsonl"], default=None)

    intents = commands.add_parser("intents", help="the intent catalogue")
    intent_commands = intents.add_subparsers(dest="intents_command", required=True, metavar="ACTION")
    check = intent_commands.add_parser("check", help="validate the catalogue and report what to fix")
    check.add_argument("--dir", type=_path, default=None, help="catalogue folder (default: the shipped one)")
    evaluate = intent_commands.add_parser("eval", help="train a fresh engine on TRAIN, report on TEST")
    evaluate.add_argument("--train", type=_path, required=True, help="CSV with columns text,label")
    evaluate.add_argument("--test", type=_path, required=True, help="CSV with columns text,label")
    evaluate.add_argument("--predictions", type=_path, help="write text,label,predicted,confidence here")
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.add_argument(
        "--oos-label", type=_text, help="the label of out-of-scope rows (report their recall)"
    )
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
        "file", type=_path, help="CSV with columns text,label (label: an intent id or out_of_scope)"
    )
    imports.add_argument("--by", type=_user_id, default="cli", help="who is importing (recorded for audit)")
    learned = intent_commands.add_parser("learned", help="what triage has been taught: corrections and picks")
    learned.add_argument("--all", action="store_true", help="imported examples too")
    learned.add_argument("--limit", type=_limit, default=50, help=f"1 to {MAX_LIMIT:,} (default 50)")
    learned.add_argument("--format", choices=["table", "json"], default="table")
    revoke = intent_commands.add_parser("revoke", help="undo taught examples (by id, or a whole import)")
    revoke.add_argument("ids", nargs="*", type=_row_id, help="example ids from 'servicebot intents learned'")
    revoke.add_argument("--batch", type=_text, help="an import's batch name, as 'intents import' printed it")
    revoke.add_argument("--by", type=_user_id, default="cli", help="who is revoking (recorded for audit)")
    revoke.add_argument("--reason", type=_text, default="revoked from the command line")

    imports = commands.add_parser(
        "import",
        help="data the bot does not see in chat: telephony, outages, past tickets, KPI values",
        description="Every row is checked; rejected rows are named (row, field, reason) and not written; "
        "the valid rows are written in one transaction; importing the same file again changes nothing.",
    )
    imports.add_argument("kind", choices=KINDS, help="what the file holds")
    imports.add_argument("file", type=_path, help="a CSV file with a header line")
    imports.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    metrics.add_parser(commands, _path)

    facts = commands.add_parser("facts", help="the contact facts every ticket metric is computed from")
    facts_commands = facts.add_subparsers(dest="facts_command", required=True, metavar="ACTION")
    facts_commands.add_parser("rebuild", help="recompute every ticket's contact facts from its events")

    kpis.add_commands(commands, path=_path, user_id=_user_id, text=_text)
    outbox.add_parser(commands, limit=_limit, row_id=_row_id)
    alerts.add_parser(commands, limit=_limit, period=kpis.period_argument)
    digests.add_parsers(commands)
    retention.add_parser(commands)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations (alembic upgrade head)")
    db_commands.add_parser("current", help="show the schema revision")

    demo = commands.add_parser("demo", help="demo data")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    load = demo_commands.add_parser("load", help="write a seeded, realistic ticket history")
    load.add_argument("--months", type=_months, default=12, help=f"{MIN_MONTHS} to {MAX_MONTHS} (default 12)")
    load.add_argument("--seed", type=int, default=2016)
    load.add_argument("--if-empty", action="store_true", help="do nothing if there are tickets already")
    return parser


def _whole(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not low <= value <= high:
        bound = f"at least {low:,}" if value < low else f"at most {high:,}"
        raise argparse.ArgumentTypeError(
            f"expected a number of {bound} (the range is {low:,} to {high:,}), got {value}"
        )
    return value


# A listing past a hundred thousand rows is an export, not a look; bounded, the number always fits the
# 64-bit integer a SQL LIMIT takes (a bigger one was an OverflowError from the driver).
MAX_LIMIT = 100_000


def _limit(text: str) -> int:
    return _whole(text, 1, MAX_LIMIT)


def _row_id(text: str) -> int:
    return _whole(text, 1, MAX_ROW_ID)


def _text(text: str) -> str:
    # An empty label or name would be taken at its word: a label no row has, a batch nothing is in.
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a value, got an empty one")
    return text


def _path(text: str) -> Path:
    # Path("") is Path("."): an empty value would quietly mean the current folder.
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "expected a path, got an empty one (it would mean the current folder)"
        )
    return Path(text)


def _version() -> str:
    try:
        return version("servicebot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(version unknown: not installed)"


# A year of demo history is ~80k tickets; three years is plenty to show trends, and the generator writes
# everything in one transaction, so an unbounded span would run for hours and hold the write lock.
MIN_MONTHS, MAX_MONTHS = 1, 36


def _months(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of months, got {text!r}") from None
    if not MIN_MONTHS <= value <= MAX_MONTHS:
        raise argparse.ArgumentTypeError(f"expected {MIN_MONTHS} to {MAX_MONTHS} months, got {value}")
    return value


# Slack user ids are letters and digits (U012AB3CD); the console's own names (console-user) add - _ .
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _user_id(text: str) -> str:
    if not USER_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} cannot be a user id; give a Slack user id such as U012AB3CD "
            "(letters, digits, . _ -, no spaces)"
        )
    return text


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return value


def _port(text: str) -> int:
    # 0 asks the system for a free port; the line `serve` prints at start says which one it got.
    return _whole(text, 0, 65535)


@dataclass(frozen=True)
class SlackModes:
    """The Slack front end's ways to run, handed in by the composition root (`bot.cli`): the core never
    imports Slack, so `run` and `serve` reach it through here."""

    run: Callable[[Settings], int]
    serve_http: Callable[[Settings, str, int], int]


def main(argv: Sequence[str] | None = None, slack: SlackModes | None = None) -> int:
    try:
        status = _main(argv, slack)
        # Flushed here rather than at interpreter exit, so a reader that left early is caught below.
        sys.stdout.flush()
    except BrokenPipeError:
        # `servicebot tickets list | head -3`: the reader has what it wanted. The Python docs' recipe:
        # point stdout at devnull so the exit-time flush of what is still buffered cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return status


def _main(argv: Sequence[str] | None, slack: SlackModes | None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(settings.log_format, level=_log_level(args.command, settings))
        return _dispatch(args, settings, slack)
    except (ConfigError, CatalogueError, LabelledDataError, TrainingError, ImportFileError) as exc:
        print(f"servicebot: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"servicebot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _log_level(command: str, settings: Settings) -> int:
    """The serving processes say what they do (a digest recorded, a worker restarted); a one-off command's
    answer is its output, and the console's is the conversation, so only warnings and errors go beside
    those (`run` is the console unless Slack is configured)."""
    serving = command == "serve" or (command == "run" and settings.serves_slack)
    return logging.INFO if serving else logging.WARNING


def _dispatch(args: argparse.Namespace, settings: Settings, slack: SlackModes | None) -> int:
    from servicebot.bootstrap import build_services

    if args.command in ("triage", "intents"):
        from servicebot.cli import triage

        return triage.run(args, settings)
    if args.command in ("run", "serve"):
        if slack is None:
            raise ConfigError(
                f"{args.command}: the Slack front end is not loaded here; use the installed 'servicebot' "
                "command or 'python bot.py'"
            )
        if args.command == "run":
            return slack.run(settings)
        return slack.serve_http(settings, args.host, args.port)
    if args.command == "db":
        from servicebot.cli import db

        return db.run(args, settings)
    if args.command in ("kpi", "dashboard", "chart"):
        return kpis.run(args, settings)
    if args.command in ("digest", "schedule"):
        return digests.run(args, settings)
    if args.command == "console":
        desk_option(settings, args.desk)
        _console_role(settings, args.user, args.role)  # refused before the database is opened
    # These only read: a mistyped path must not become a new, empty database, nor another program's file a
    # ServiceBot one. (`facts rebuild` and `alerts evaluate` write, but only what is derived from what is
    # already there: on a new, empty database they would find nothing and say all was well; `retention`
    # only removes what is there.)
    reads_only = args.command in ("tickets", "metrics", "facts", "outbox", "alerts", "retention") or (
        args.command == "import" and args.dry_run
    )
    services = build_services(settings, must_exist=reads_only)
    try:
        if args.command == "console":
            from servicebot.console.terminal import run_console

            role = _console_role(settings, args.user, args.role)
            # The configured role as configured (an agent of one desk stays one); a higher --role is a
            # trial of that role on every desk.
            configured = services.actor(args.user)
            desks = configured.desks if configured.role is role else None
            return run_console(services, user=args.user, role=role, desk=args.desk, desks=desks)
        if args.command == "tickets":
            from servicebot.cli import tickets

            return tickets.run(args, services)
        if args.command == "import":
            imported = services.imports.run(args.kind, args.file, dry_run=args.dry_run, actor=OPERATOR)
            print("\n".join(imported.lines()))
            if not args.dry_run:
                alerts.print_alerts(services.alerts.evaluate())
            return 1 if imported.problems else 0
        if args.command == "metrics":
            return metrics.run(args, services)
        if args.command == "outbox":
            return outbox.run(args, services)
        if args.command == "alerts":
            return alerts.run(args, services)
        if args.command == "retention":
            return retention.run(args, services)
        if args.command == "facts":
            started = time.perf_counter()
            done = services.facts.rebuild()
            seconds = time.perf_counter() - started
            rate = f", {done / seconds:,.0f} tickets/s" if done and seconds > 0 else ""
            print(f"contact facts rebuilt for {done:,} tickets in {seconds:.1f} s{rate}")
            alerts.print_alerts(services.alerts.evaluate())
            return 0
        if args.command == "demo":
            from servicebot.demo import load_demo

            report = load_demo(services, months=args.months, seed=args.seed, if_empty=args.if_empty)
            print(report)
            return 0
    finally:
        services.close()
    raise AssertionError(f"unhandled command {args.command}")


def _a(role: Role) -> str:
    return "an" if role in (Role.AGENT, Role.ADMIN) else "a"


def _console_role(settings: Settings, user: str, chosen: str | None) -> Role:
    """The console acts as `--role` (default agent, so a trial needs no configuration). A role below the one
    the configuration gives this user is refused: the bot would then refuse agent commands with "ask a team
    lead to add you to the agents role", advice that is wrong when the cause is the flag, not the roles."""
    configured = Role(settings.role_of(user))
    role = Role(chosen) if chosen else max(Role.AGENT, configured, key=lambda r: r.rank)
    if role.rank < configured.rank:
        raise ConfigError(
            f"--role {role.value}: {user} is {_a(configured)} {configured.value} "
            f"in the configuration (roles.{configured.value}s or SERVICEBOT_{configured.value.upper()}S), "
            f"so the console will not act as them with less; to see what a {role.value} sees, "
            "give another --user"
        )
    return role
