"""Event handling under load: ack latency and tickets per second, against a bare Bolt app on the same harness.

N signed ``message`` events in the ICT intake channel are POSTed by C concurrent keep-alive clients to
ServiceBot (built as production builds it: build_services + build_slack_app + wsgi_app, served by waitress,
with its worker process started by start_worker_process
with the threads serve_http has) and, in interleaved rounds, to a bare Bolt app that only acks (same
waitress config, same fake Slack). Reported: ack latency p50/p99/max per app, the ServiceBot/bare ratios
(median over rounds), ServiceBot's tickets/s, a correctness check (exactly N tickets and N cards per
round, every ack HTTP 200) and a retry check (10% re-sent with X-Slack-Retry-Num: 1 add nothing).

Not a timed test: run by hand (``make bench``). Exits non-zero only when a correctness check fails;
the latency goals are reported, never enforced, because the machine is shared and noisy.

    .venv/bin/python -m bench.bench_events [--events N] [--concurrency C] [--rounds R] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import text
from waitress.server import create_server  # what waitress.create_server is; typed here

import bot
from bench.loadgen import LoadInProcess, LoadProcess, LoadResult, Request
from servicebot.bootstrap import Services, build_services
from servicebot.chat.commands import NewQuery, parse
from servicebot.runtime.serving import CONNECTION_LIMIT, THREADS
from tests.conftest import make_settings
from tests.support.fake_slack import BOT_TOKEN, BOT_USER_ID, CALLS_PATH, FakeSlack
from tests.support.postgres import DURABLE, PostgresServer, start_server
from tests.support.slack_requests import event_callback, message_event, sign

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret-5f1c9e0a7d3b"
INTAKE_CHANNEL = "C0ICTHELP"
EVENTS_PATH = "/slack/events"
WARMUP_EVENTS = 20
RETRY_SHARE = 0.10
DRAIN_TIMEOUT = 120.0  # seconds for a round's tickets to be carded; far above any healthy figure
GOAL_P99_MS = 100.0
GOAL_RATIO = 1.5
REQUESTERS = [f"U0STAFF{n:03d}" for n in range(1, 41)]

WSGIApp = Callable[..., Iterable[bytes]]


class BenchError(Exception):
    """A correctness failure: the figures of this run are not to be trusted."""


# -- servers -------------------------------------------------------------------------------------------


@dataclass
class Served:
    name: str
    url: str
    server: Any
    thread: threading.Thread

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


def serve(app: WSGIApp, ident: str) -> Served:
    """The same waitress config as bot.serve_http, on a free loopback port, run in a daemon thread."""
    server: Any = create_server(
        app, host="127.0.0.1", port=0, threads=THREADS, connection_limit=CONNECTION_LIMIT, ident=ident
    )
    thread = threading.Thread(target=server.run, name=f"waitress-{ident}", daemon=True)
    thread.start()
    return Served(ident, f"http://127.0.0.1:{server.effective_port}{EVENTS_PATH}", server, thread)


def bare_bolt_app(api_url: str) -> SlackRequestHandler:
    """The baseline: Bolt with a message listener that does nothing (Bolt acks Events API requests)."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=False,
    )

    @app.event("message")
    def ignore(body: dict[str, Any]) -> None:
        return None

    return SlackRequestHandler(app)


# -- events --------------------------------------------------------------------------------------------


def ict_texts() -> list[str]:
    """What staff really post in the ICT channel: the intent catalogue's examples (new queries only)."""
    data = yaml.safe_load((ROOT / "intents" / "ict.yaml").read_text(encoding="utf-8"))
    texts = [str(example) for intent in data["intents"] for example in intent.get("examples", [])]
    usable = [t for t in texts if isinstance(parse(t), NewQuery) and "<@" not in t and t.strip()]
    if not usable:
        raise BenchError("intents/ict.yaml has no usable examples")
    return usable


@dataclass(frozen=True)
class Event:
    ts: str
    body: bytes


class EventFactory:
    """Unique ts and event_id per event; texts and requesters cycle through realistic values."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.count = 0

    def batch(self, n: int) -> list[Event]:
        events = []
        for _ in range(n):
            i = self.count
            self.count += 1
            event = message_event(
                self.texts[(i * 7) % len(self.texts)],
                user=REQUESTERS[i % len(REQUESTERS)],
                channel=INTAKE_CHANNEL,
            )
            events.append(Event(event["ts"], event_callback(event).body))
        return events


def signed(events: list[Event], *, retry_num: int | None = None) -> list[Request]:
    """Signed now (Slack's signature is only valid for five minutes), as Slack signs each delivery."""
    requests: list[Request] = []
    for event in events:
        headers = {"Content-Type": "application/json", "User-Agent": "Slackbot 1.0"}
        headers.update(sign(SIGNING_SECRET, event.body))
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        requests.append((event.body, headers))
    return requests


# -- measuring -----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): an observed value, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class RoundStats:
    app: str
    round: int
    events: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    acks_per_s: float  # N / (first send -> last ack read)
    cpu_ms_per_event: float  # this process (app + fake Slack) CPU time, acks and (ServiceBot) processing
    tickets_per_s: float | None = None  # N / (first send -> Nth card posted to the intake channel)
    drain_s: float | None = None  # first send -> Nth card posted


def latency_stats(app: str, round_no: int, result: LoadResult, cpu_s: float) -> RoundStats:
    ms = [s * 1000 for s in result.latencies]
    n = len(ms)
    return RoundStats(
        app=app,
        round=round_no,
        events=n,
        p50_ms=percentile(ms, 50),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms),
        mean_ms=statistics.fmean(ms),
        acks_per_s=n / result.elapsed,
        cpu_ms_per_event=cpu_s * 1000 / n,
    )


def check_acks(app: str, result: LoadResult) -> None:
    bad = Counter(s for s in result.statuses if s != 200)
    if bad or result.errors:
        detail = "; ".join(result.errors[:3])
        raise BenchError(f"{app}: acks not all HTTP 200: {dict(bad)} {detail}")


def scalar(services: Services, sql: str) -> int:
    database = services.inbox.db if "inbound_requests" in sql else services.db
    with database.read() as session:
        return int(session.execute(text(sql)).scalar_one())


def ticket_count(services: Services) -> int:
    return scalar(services, "SELECT count(*) FROM tickets")


@dataclass(frozen=True)
class RemoteCall:
    args: dict[str, Any]
    at: float
    ok: bool


class FakeSlackProcess:
    """The fake Slack in a process of its own, as Slack's servers are not in ours: serving the worker's
    API calls must not cost the web process's CPU, or the harness would charge ServiceBot for it."""

    def __init__(self) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._conn, child = spawn.Pipe()
        self._process = spawn.Process(target=_run_fake_slack, args=(child,), daemon=True)
        self._process.start()
        self.api_url: str = self._conn.recv()
        self._base = self.api_url.removesuffix("/api/")

    def calls_to(self, method: str) -> list[RemoteCall]:
        url = f"{self._base}{CALLS_PATH}?method={urllib.parse.quote(method)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            found = json.loads(response.read())
        return [
            RemoteCall({"channel": c["channel"], "thread_ts": c["thread_ts"]}, c["at"], c["ok"])
            for c in found
        ]

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


def _run_fake_slack(conn: Any) -> None:
    with FakeSlack() as fake:
        conn.send(fake.api_url)
        conn.recv()


def intake_cards(fake: FakeSlackProcess, thread_ts: set[str]) -> list[Any]:
    """Successful ticket cards posted into the intake channel in reply to the given messages."""
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.ok and c.args.get("channel") == INTAKE_CHANNEL and c.args.get("thread_ts") in thread_ts
    ]


CARDS_SQL = "SELECT count(*) FROM ticket_messages WHERE purpose = 'card'"


def wait_for_cards(
    fake: FakeSlackProcess,
    services: Services,
    events: list[Event],
    cards_before: int,
    timeout: float = DRAIN_TIMEOUT,
) -> list[Any]:
    """Wait on the database's count of recorded cards (a cheap query), then ask the fake once for the
    exact times (Call.at). Polling the fake's growing call list instead would cost the machine more CPU
    every round, charged to whichever app is being measured."""
    wanted = {e.ts for e in events}
    target = cards_before + len(wanted)
    deadline = time.monotonic() + timeout
    while (recorded := scalar(services, CARDS_SQL)) < target:
        if time.monotonic() > deadline:
            raise BenchError(f"only {recorded} of {target} ticket cards posted within {timeout:.0f}s")
        time.sleep(0.05)
    cards = intake_cards(fake, wanted)
    if len({c.args["thread_ts"] for c in cards}) < len(wanted):
        raise BenchError(f"{len(wanted)} cards recorded but the fake Slack saw {len(cards)}")
    return cards


def wait_settled(services: Services, timeout: float = 30.0) -> None:
    """Every accepted request processed (or failed): no work left in flight to disturb the next round."""
    deadline = time.monotonic() + timeout
    pending_sql = "SELECT count(*) FROM inbound_requests WHERE processed_at IS NULL AND attempts = 0"
    while (pending := scalar(services, pending_sql)) > 0:
        if time.monotonic() > deadline:
            raise BenchError(f"{pending} inbox requests still unprocessed after {timeout:.0f}s")
        time.sleep(0.05)
    failed = scalar(services, "SELECT count(*) FROM inbound_requests WHERE last_error IS NOT NULL")
    if failed:
        raise BenchError(f"{failed} inbox requests failed processing")


@dataclass
class RetryCheck:
    resent: int = 0
    acked_200: int = 0
    extra_tickets: int = 0
    extra_cards: int = 0
    p50_ms: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.acked_200 == self.resent and self.extra_tickets == 0 and self.extra_cards == 0


@dataclass
class Harness:
    fake: FakeSlackProcess
    services: Services
    servicebot: Served
    bare: Served
    client: LoadProcess | LoadInProcess
    factory: EventFactory
    concurrency: int
    retry: RetryCheck = field(default_factory=RetryCheck)

    def bare_round(self, round_no: int, n: int) -> RoundStats:
        requests = signed(self.factory.batch(n))
        cpu0 = time.process_time()
        result = self.client.run(self.bare.url, requests, self.concurrency)
        cpu = time.process_time() - cpu0
        check_acks("bare", result)
        return latency_stats("bare", round_no, result, cpu)

    def servicebot_round(self, round_no: int, n: int, *, retry_check: bool = True) -> RoundStats:
        events = self.factory.batch(n)
        requests = signed(events)
        before = ticket_count(self.services)
        cards_before = scalar(self.services, CARDS_SQL)
        cpu0 = time.process_time()
        result = self.client.run(self.servicebot.url, requests, self.concurrency)
        check_acks("servicebot", result)
        cards = wait_for_cards(self.fake, self.services, events, cards_before)
        cpu = time.process_time() - cpu0
        wait_settled(self.services)
        made = ticket_count(self.services) - before
        # Counted again once settled, so that a duplicate posted after the Nth card is caught too.
        per_message = Counter(c.args["thread_ts"] for c in intake_cards(self.fake, {e.ts for e in events}))
        doubled = sum(1 for count in per_message.values() if count > 1)
        if made != n or doubled:
            raise BenchError(
                f"servicebot round {round_no}: {n} events made {made} tickets; {doubled} got two cards"
            )
        stats = latency_stats("servicebot", round_no, result, cpu)
        drain = max(c.at for c in cards) - result.started
        stats.drain_s, stats.tickets_per_s = drain, n / drain
        if retry_check:
            self.check_retries(events[:: max(1, round(1 / RETRY_SHARE))])
        return stats

    def check_retries(self, events: list[Event]) -> None:
        """Slack redelivers with X-Slack-Retry-Num when an ack is late: it must ack and add nothing."""
        wanted = {e.ts for e in events}
        tickets0, cards0 = ticket_count(self.services), len(intake_cards(self.fake, wanted))
        result = self.client.run(
            self.servicebot.url, signed(events, retry_num=1), min(self.concurrency, len(events))
        )
        time.sleep(0.5)  # anything a retry wrongly started would be running by now
        wait_settled(self.services)
        self.retry.resent += len(events)
        self.retry.acked_200 += sum(1 for s in result.statuses if s == 200)
        self.retry.extra_tickets += ticket_count(self.services) - tickets0
        self.retry.extra_cards += len(intake_cards(self.fake, wanted)) - cards0
        self.retry.p50_ms.append(percentile([s * 1000 for s in result.latencies], 50))

    def warm_up(self, worker_pid: int) -> None:
        self.client.run(self.bare.url, signed(self.factory.batch(WARMUP_EVENTS)), self.concurrency)
        self.servicebot_round(0, WARMUP_EVENTS, retry_check=False)
        # The worker's start-up work (the leader's first breach evaluation, the triage model) would
        # otherwise share the CPU with whichever round came first: the bare app's, flattering the ratio.
        wait_idle(worker_pid)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, quiet: float = 1.0, timeout: float = 120.0) -> None:
    """Until the process has used under 2% of a CPU for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(quiet)
        if cpu_seconds(pid) - before < 0.02 * quiet:
            return
    raise BenchError(f"the worker process was still busy after {timeout:.0f}s")


# -- report --------------------------------------------------------------------------------------------


def summarise(rounds: list[RoundStats], retry: RetryCheck, concurrency: int) -> dict[str, Any]:
    bare = [r for r in rounds if r.app == "bare"]
    sb = [r for r in rounds if r.app == "servicebot"]

    def med(values: Iterable[float]) -> float:
        return statistics.median(list(values))

    p50_ratio = med(s.p50_ms / b.p50_ms for b, s in zip(bare, sb, strict=True))
    p99_ratio = med(s.p99_ms / b.p99_ms for b, s in zip(bare, sb, strict=True))
    sb_p99 = med(r.p99_ms for r in sb)
    return {
        "bare": {
            "p50_ms": med(r.p50_ms for r in bare),
            "p99_ms": med(r.p99_ms for r in bare),
            "max_ms": max(r.max_ms for r in bare),
            "acks_per_s": med(r.acks_per_s for r in bare),
            "cpu_ms_per_event": med(r.cpu_ms_per_event for r in bare),
        },
        "servicebot": {
            "p50_ms": med(r.p50_ms for r in sb),
            "p99_ms": sb_p99,
            "max_ms": max(r.max_ms for r in sb),
            "acks_per_s": med(r.acks_per_s for r in sb),
            "cpu_ms_per_event": med(r.cpu_ms_per_event for r in sb),
            "tickets_per_s": med(r.tickets_per_s or 0.0 for r in sb),
        },
        "ratio_p50": p50_ratio,
        "ratio_p99": p99_ratio,
        "retry_check": {
            "resent": retry.resent,
            "acked_200": retry.acked_200,
            "extra_tickets": retry.extra_tickets,
            "extra_cards": retry.extra_cards,
            "ack_p50_ms": med(retry.p50_ms) if retry.p50_ms else None,
            "ok": retry.ok,
        },
        "goals": {
            f"servicebot_p99_under_{GOAL_P99_MS:.0f}ms_at_{concurrency}": sb_p99 < GOAL_P99_MS,
            f"p99_ratio_at_most_{GOAL_RATIO}": p99_ratio <= GOAL_RATIO,
        },
    }


def print_report(rounds: list[RoundStats], summary: dict[str, Any], config: dict[str, Any]) -> None:
    print(
        f"\nEvent handling: {config['events']} events x {config['rounds']} rounds, "
        f"{config['concurrency']} concurrent clients ({config['client']}), "
        f"waitress threads={THREADS}, {config['cpus']} CPUs, load avg at start {config['loadavg']}, "
        f"{config['backend']}{' ' + config['postgresql'] if 'postgresql' in config else ''}"
    )
    header = (
        f"{'app':<11}{'round':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'acks/s':>9}{'cpu ms/ev':>11}{'tickets/s':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rounds:
        tickets = f"{r.tickets_per_s:11.1f}" if r.tickets_per_s is not None else f"{'-':>11}"
        print(
            f"{r.app:<11}{r.round:>6}{r.p50_ms:9.1f}{r.p99_ms:9.1f}{r.max_ms:9.1f}"
            f"{r.acks_per_s:9.0f}{r.cpu_ms_per_event:11.2f}{tickets}"
        )
    print("-" * len(header))
    b, s = summary["bare"], summary["servicebot"]
    for name, row in (("bare", b), ("servicebot", s)):
        tickets = f"{row['tickets_per_s']:11.1f}" if "tickets_per_s" in row else f"{'-':>11}"
        print(
            f"{name:<11}{'med':>6}{row['p50_ms']:9.1f}{row['p99_ms']:9.1f}{row['max_ms']:9.1f}"
            f"{row['acks_per_s']:9.0f}{row['cpu_ms_per_event']:11.2f}{tickets}"
        )
    print(
        f"\nratio servicebot/bare (median of per-round ratios): "
        f"p50 {summary['ratio_p50']:.2f}x, p99 {summary['ratio_p99']:.2f}x"
    )
    rc = summary["retry_check"]
    print(
        f"retry check: {rc['resent']} events re-sent with X-Slack-Retry-Num: 1 -> "
        f"{rc['acked_200']} acked 200 (p50 {rc['ack_p50_ms'] or 0:.1f} ms), "
        f"{rc['extra_tickets']} extra tickets, {rc['extra_cards']} extra cards "
        f"({'ok' if rc['ok'] else 'FAILED'})"
    )
    for goal, met in summary["goals"].items():
        print(f"goal {goal}: {'met' if met else 'MISSED'}")


def postgres_version(server: PostgresServer) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres") as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# -- main ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_events", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500, help="events per round (default 500)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per app (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="ServiceBot's database: a SQLite file (default), or PostgreSQL on a server of the bench's own "
        "started from the system's binaries, durable as in production (every commit flushed to disk)",
    )
    parser.add_argument(
        "--client",
        choices=("process", "thread"),
        default="process",
        help="load generator in a child process (default) or on threads of the server's process",
    )
    args = parser.parse_args(argv)
    if args.events < 10 or args.concurrency < 1 or args.rounds < 1:
        parser.error("need --events >= 10, --concurrency >= 1, --rounds >= 1")
    return args


def run(args: argparse.Namespace) -> tuple[list[RoundStats], dict[str, Any], dict[str, Any]]:
    config: dict[str, Any] = {
        "date": date.today().isoformat(),
        "events": args.events,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "client": args.client,
        "backend": args.backend,
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    factory = EventFactory(ict_texts())
    client: LoadProcess | LoadInProcess = LoadProcess() if args.client == "process" else LoadInProcess()
    postgres: PostgresServer | None = None
    try:
        fake = FakeSlackProcess()
        with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
            database = {"SERVICEBOT_DATABASE_URL": f"sqlite:///{Path(tmp) / 'servicebot.db'}"}
            if args.backend == "postgresql":
                postgres = start_server(DURABLE)
                config["postgresql"] = postgres_version(postgres)
                database["SERVICEBOT_DATABASE_URL"] = postgres.new_database()
            settings = make_settings(
                Path(tmp),
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=fake.api_url,
                **database,
            )
            services = build_services(settings)
            slack = bot.build_slack_app(services)
            if slack.context.bot_user_id != BOT_USER_ID:
                raise BenchError("ServiceBot did not reach the fake Slack (auth.test failed)")
            worker = bot.start_worker_process(settings, services)
            servicebot = serve(bot.wsgi_app(slack, services), "servicebot")
            bare = serve(bare_bolt_app(fake.api_url), "bare")
            harness = Harness(fake, services, servicebot, bare, client, factory, args.concurrency)
            try:
                harness.warm_up(worker.process.pid or 0)
                rounds: list[RoundStats] = []
                for round_no in range(1, args.rounds + 1):
                    rounds.append(harness.bare_round(round_no, args.events))
                    rounds.append(harness.servicebot_round(round_no, args.events))
                    print(f"round {round_no}/{args.rounds} done", file=sys.stderr)
            finally:
                servicebot.close()
                bare.close()
                worker.close()
                services.close()
    finally:
        client.close()
        fake.close()
        if postgres is not None:
            postgres.stop()
    return rounds, summarise(rounds, harness.retry, args.concurrency), config


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # "Task queue depth is N" on every queued request (when C exceeds the threads) would drown the report.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    started = time.monotonic()
    try:
        rounds, summary, config = run(args)
    except BenchError as exc:
        print(f"bench_events: ERROR: {exc}", file=sys.stderr)
        return 1
    config["wall_s"] = round(time.monotonic() - started, 1)
    print_report(rounds, summary, config)
    print(f"(wall time {config['wall_s']} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"config": config, "rounds": [asdict(r) for r in rounds], "summary": summary}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if not summary["retry_check"]["ok"]:
        print("bench_events: ERROR: the retry check failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
