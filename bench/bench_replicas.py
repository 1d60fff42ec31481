"""Two replicas under load: N signed events at C concurrent against two `servicebot serve --http` processes
on one PostgreSQL, against two bare Bolt apps on the same harness.

The set-up is production's: a PostgreSQL server of its own with production durability (fsync on), migrated
by `servicebot db upgrade`; two real `servicebot serve --http` replicas (each a web process and its worker
process) with the same signing secret, database and fake Slack (itself a process of its own); the load
generator in another process, spreading requests over the two as a load balancer would (client thread t on
replica t % 2). N distinct `message` events in the ICT intake channel, and a share of them (default 10%)
delivered again with `X-Slack-Retry-Num: 1` to the OTHER replica, later in the same stream, as Slack's
retry after a slow ack can land on another replica.

The baseline, in interleaved rounds (bare, replicas, bare, ...): the same stream, same concurrency, same
spread over two processes, each serving a bare Bolt app that only acks (`bench/bare_app.py`).

Reported per round and as median (min-max): ack p50/p99/max and the replicas/bare ratios; non-200
statuses and transport errors; tickets made, ticket cards posted (each once), inbox rows, all equal to the
distinct events; time until the last card (drain) and tickets/s; each replica's share of the requests and
the CPU seconds its web and worker processes used. A non-200 (a 503 while the database is busy included) or
a transport error is a failure: Slack would retry it, but an ack that is not 200 is what this measures.

Not a timed test: run by hand. Exits non-zero when a correctness check fails; latency is reported, never
enforced.

    .venv/bin/python -m bench.bench_replicas [--events 10000] [--concurrency 200] [--rounds R]
        [--retry-share 0.1] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench.bench_events import (
    EVENTS_PATH,
    INTAKE_CHANNEL,
    SIGNING_SECRET,
    Event,
    EventFactory,
    FakeSlackProcess,
    ict_texts,
    percentile,
    signed,
)
from bench.loadgen import LoadProcess, LoadResult, Request
from tests.conftest import EXAMPLE_CONFIG, MODEL_CACHE
from tests.support.fake_slack import BOT_TOKEN
from tests.support.postgres import DURABLE, start_server

ROOT = Path(__file__).resolve().parent.parent
SERVICEBOT = Path(sys.executable).with_name("servicebot")
REPLICAS = 2
WARMUP_EVENTS = 40
DRAIN_TIMEOUT = 600.0  # seconds for a round's cards to be posted: far above any healthy figure at 10,000
CONNECTION_LIMIT = "reached the connection limit"
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


class BenchError(Exception):
    """The harness could not run (a process did not start): no figures."""


# -- processes -------------------------------------------------------------------------------------------


@dataclass
class Process:
    """A server process in its own session, its stderr read by a thread (kept for the report)."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int
    lines: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{EVENTS_PATH}"

    def cpu_seconds(self) -> dict[str, float]:
        """CPU (user + system) of this process and of each live process below it (its worker)."""
        found = {"web": _cpu(self.popen.pid)}
        for child in _children(self.popen.pid):
            found["worker"] = found.get("worker", 0.0) + _cpu(child)
        return found

    def count(self, needle: str) -> int:
        return sum(1 for line in list(self.lines) if needle in line)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)  # the whole group, as systemd stops a unit
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def start_process(name: str, argv: list[str], env: dict[str, str], cwd: Path) -> Process:
    popen = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stopping it stops its worker too
    )
    lines: list[str] = []
    ports: queue.Queue[int] = queue.Queue()

    def read() -> None:
        assert popen.stderr is not None
        for raw in popen.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            found = LISTENING.search(line)
            if found:
                ports.put(int(found.group(1)))

    threading.Thread(target=read, name=f"stderr-{name}", daemon=True).start()
    try:
        port = ports.get(timeout=120)
    except queue.Empty:
        popen.kill()
        popen.wait(timeout=10)
        raise BenchError(f"{name} did not say where it listens:\n" + "\n".join(lines[-20:])) from None
    return Process(name, popen, port, lines)


def servicebot_env(database_url: str, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SERVICEBOT_"))}
    env.update(
        SERVICEBOT_CONFIG=str(EXAMPLE_CONFIG),
        SERVICEBOT_DATABASE_URL=database_url,
        SERVICEBOT_MODEL_CACHE=str(MODEL_CACHE),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
    )
    return env


@contextmanager
def replicas(database_url: str, api_url: str, workdir: Path, n: int = REPLICAS) -> Iterator[list[Process]]:
    """`servicebot db upgrade` on the (fresh) database, then n `servicebot serve --http` replicas on it."""
    env = servicebot_env(database_url, api_url)
    upgrade = subprocess.run(
        [str(SERVICEBOT), "db", "upgrade"], env=env, cwd=workdir, capture_output=True, text=True, timeout=300
    )
    if upgrade.returncode != 0:
        raise BenchError(f"servicebot db upgrade failed:\n{upgrade.stderr}")
    argv = [str(SERVICEBOT), "serve", "--http", "--host", "127.0.0.1", "--port", "0"]
    with ExitStack() as stack:
        started = []
        for k in range(n):
            process = start_process(f"replica{k + 1}", argv, env, workdir)
            stack.callback(process.stop)
            started.append(process)
        yield started


@contextmanager
def bare_apps(api_url: str, workdir: Path, n: int = REPLICAS) -> Iterator[list[Process]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SERVICEBOT_"))}
    env["PYTHONPATH"] = str(ROOT)
    argv = [sys.executable, "-m", "bench.bare_app", api_url]
    with ExitStack() as stack:
        started = []
        for k in range(n):
            process = start_process(f"bare{k + 1}", argv, env, workdir)
            stack.callback(process.stop)
            started.append(process)
        yield started


# -- the stream ------------------------------------------------------------------------------------------


@dataclass
class Stream:
    """One round's requests in sending order, the replica each goes to, and which events were retried."""

    events: list[Event]
    requests: list[Request]
    targets: list[int]
    retried: int

    @property
    def distinct(self) -> int:
        return len(self.events)


def build_stream(factory: EventFactory, n: int, retry_share: float, gap: int, replicas: int) -> Stream:
    """Event k goes to replica k % replicas; a retried event is delivered again `gap` requests later (or at
    the end) to the next replica, signed anew with X-Slack-Retry-Num: 1."""
    events = factory.batch(n)
    originals = signed(events)
    # Spread evenly: event k is retried when the running count of retries steps up at k; every other one
    # moved back by one, so that retries go to both replicas alike (a period of 10 lands on one parity).
    steps = [k for k in range(n) if int((k + 1) * retry_share) > int(k * retry_share)]
    chosen = set(steps)
    retried = []
    for j, k in enumerate(steps):
        if j % 2 and k > 0 and k - 1 not in chosen:
            chosen.discard(k)
            chosen.add(k - 1)
            k -= 1
        retried.append(k)
    retries = dict(zip(retried, signed([events[k] for k in retried], retry_num=1), strict=True))
    due: dict[int, list[int]] = {}
    for k in retried:
        due.setdefault(k + gap, []).append(k)
    requests: list[Request] = []
    targets: list[int] = []
    for k in range(n + gap + 1):
        if k < n:
            requests.append(originals[k])
            targets.append(k % replicas)
        for j in due.get(k, []):
            requests.append(retries[j])
            targets.append((j + 1) % replicas)
    return Stream(events, requests, targets, len(retried))


# -- the database ----------------------------------------------------------------------------------------


class Database:
    """What the checks count, straight from PostgreSQL (no app code in this process)."""

    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def count(self, sql: str) -> int:
        row = self._conn.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def snapshot(self) -> dict[str, int]:
        return {
            "tickets": self.count("SELECT count(*) FROM tickets"),
            "inbox": self.count("SELECT count(*) FROM inbound_requests"),
            "cards": self.count("SELECT count(*) FROM ticket_messages WHERE purpose = 'card'"),
        }

    def close(self) -> None:
        self._conn.close()


# -- rounds ----------------------------------------------------------------------------------------------


@dataclass
class RoundStats:
    app: str  # "bare" or "replicas"
    round: int
    requests: int
    distinct: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    acks_per_s: float
    non_200: dict[str, int]  # status -> count ("0" for a transport error)
    transport_errors: int
    share: list[int]  # requests sent to each process
    cpu_s: dict[str, float]  # "replica1 web", "replica1 worker", ... over the round
    over_3s: int = 0  # acks slower than Slack's 3-second deadline (Slack would retry those)
    # waitress's "no longer accepting new connections" warnings: above its connection_limit (100, counting
    # its own listening socket and trigger), a connection waits in the kernel's backlog, unanswered.
    connection_limit_lines: int = 0
    queue_depth_lines: int = 0  # waitress's "Task queue depth" warnings in the replicas' logs
    tickets: int | None = None
    cards: int | None = None
    cards_twice: int | None = None
    inbox_rows: int | None = None
    unprocessed: int | None = None
    failed: int | None = None
    drain_s: float | None = None
    tickets_per_s: float | None = None
    failures: list[str] = field(default_factory=list)


def ack_stats(
    app: str, round_no: int, stream: Stream, result: LoadResult, processes: list[Process]
) -> RoundStats:
    ms = [s * 1000 for s in result.latencies]
    bad = Counter(str(s) for s in result.statuses if s != 200)
    stats = RoundStats(
        app=app,
        round=round_no,
        requests=len(ms),
        distinct=stream.distinct,
        p50_ms=percentile(ms, 50),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms),
        acks_per_s=len(ms) / result.elapsed,
        non_200=dict(bad),
        transport_errors=len(result.errors),
        share=[stream.targets.count(k) for k in range(len(processes))],
        cpu_s={},
        over_3s=sum(1 for s in result.latencies if s > 3.0),
    )
    if bad or result.errors:
        stats.failures.append(f"{app}: acks not all HTTP 200: {dict(bad)} {'; '.join(result.errors[:3])}")
    return stats


def cpu_of(processes: list[Process]) -> dict[str, float]:
    return {f"{p.name} {part}": s for p in processes for part, s in p.cpu_seconds().items()}


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round(v - before.get(k, 0.0), 2) for k, v in after.items()}


def bare_round(
    client: LoadProcess, bare: list[Process], stream: Stream, concurrency: int, round_no: int
) -> RoundStats:
    cpu0 = cpu_of(bare)
    limit0 = sum(p.count(CONNECTION_LIMIT) for p in bare)
    result = client.run([p.url for p in bare], stream.requests, concurrency, targets=stream.targets)
    stats = ack_stats("bare", round_no, stream, result, bare)
    stats.cpu_s = cpu_delta(cpu0, cpu_of(bare))
    stats.connection_limit_lines = sum(p.count(CONNECTION_LIMIT) for p in bare) - limit0
    return stats


def replicas_round(
    client: LoadProcess,
    served: list[Process],
    fake: FakeSlackProcess,
    db: Database,
    stream: Stream,
    concurrency: int,
    round_no: int,
    drain_timeout: float = DRAIN_TIMEOUT,
) -> RoundStats:
    """One round against the replicas, then every correctness check on what it left in the database and
    in the fake Slack. Failures are recorded in the stats, not raised: the report shows them all."""
    before = db.snapshot()
    cpu0 = cpu_of(served)
    queued0 = sum(p.count("Task queue depth") for p in served)
    limit0 = sum(p.count(CONNECTION_LIMIT) for p in served)
    result = client.run([p.url for p in served], stream.requests, concurrency, targets=stream.targets)
    stats = ack_stats("replicas", round_no, stream, result, served)
    n = stream.distinct
    # Wait on the database's count of cards (a cheap query every 0.2 s), then ask the fake Slack once.
    deadline = time.monotonic() + drain_timeout
    while db.snapshot()["cards"] - before["cards"] < n and time.monotonic() < deadline:
        time.sleep(0.2)
    # Settled: nothing pending that was not tried (a failed row has attempts > 0 and is counted below).
    while (
        db.count("SELECT count(*) FROM inbound_requests WHERE processed_at IS NULL AND attempts = 0")
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    time.sleep(0.5)  # anything a retry wrongly started would be running by now
    stats.cpu_s = cpu_delta(cpu0, cpu_of(served))
    stats.queue_depth_lines = sum(p.count("Task queue depth") for p in served) - queued0
    stats.connection_limit_lines = sum(p.count(CONNECTION_LIMIT) for p in served) - limit0
    after = db.snapshot()
    stats.tickets = after["tickets"] - before["tickets"]
    stats.inbox_rows = after["inbox"] - before["inbox"]
    stats.unprocessed = db.count("SELECT count(*) FROM inbound_requests WHERE processed_at IS NULL")
    stats.failed = db.count("SELECT count(*) FROM inbound_requests WHERE last_error IS NOT NULL")
    wanted = {e.ts for e in stream.events}
    cards = [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.ok and c.args.get("channel") == INTAKE_CHANNEL and c.args.get("thread_ts") in wanted
    ]
    per_message = Counter(c.args["thread_ts"] for c in cards)
    stats.cards = len(per_message)
    stats.cards_twice = sum(1 for k in per_message.values() if k > 1)
    if cards:
        stats.drain_s = max(c.at for c in cards) - result.started
        stats.tickets_per_s = n / stats.drain_s if stats.drain_s > 0 else None
    checks = {
        "tickets": stats.tickets,
        "cards posted": stats.cards,
        "inbox rows": stats.inbox_rows,
    }
    for what, got in checks.items():
        if got != n:
            stats.failures.append(f"replicas round {round_no}: {n} distinct events, {got} {what}")
    if stats.cards_twice:
        stats.failures.append(f"replicas round {round_no}: {stats.cards_twice} events got two cards")
    if stats.unprocessed or stats.failed:
        stats.failures.append(
            f"replicas round {round_no}: {stats.unprocessed} inbox rows unprocessed, {stats.failed} failed"
        )
    return stats


# -- report ----------------------------------------------------------------------------------------------


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(rounds: list[RoundStats]) -> dict[str, Any]:
    bare = [r for r in rounds if r.app == "bare"]
    rep = [r for r in rounds if r.app == "replicas"]
    summary: dict[str, Any] = {}
    for name, rows in (("bare", bare), ("replicas", rep)):
        summary[name] = {
            "p50_ms": spread([r.p50_ms for r in rows]),
            "p99_ms": spread([r.p99_ms for r in rows]),
            "max_ms": spread([r.max_ms for r in rows]),
            "acks_per_s": spread([r.acks_per_s for r in rows]),
        }
    summary["replicas"]["drain_s"] = spread([r.drain_s or 0.0 for r in rep])
    summary["replicas"]["tickets_per_s"] = spread([r.tickets_per_s or 0.0 for r in rep])
    summary["ratio_p50"] = spread([r.p50_ms / b.p50_ms for b, r in zip(bare, rep, strict=True)])
    summary["ratio_p99"] = spread([r.p99_ms / b.p99_ms for b, r in zip(bare, rep, strict=True)])
    summary["failures"] = [f for r in rounds for f in r.failures]
    return summary


def _fmt(s: dict[str, float], digits: int = 1, unit: str = "") -> str:
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def print_report(rounds: list[RoundStats], summary: dict[str, Any], config: dict[str, Any]) -> None:
    print(
        f"\nTwo replicas on PostgreSQL (fsync on): {config['events']} distinct events "
        f"+ {config['retried']} retries to the other replica per round, {config['concurrency']} concurrent "
        f"clients ({config['concurrency'] // REPLICAS} connections per process), {config['rounds']} rounds, "
        f"{config['cpus']} CPUs, load avg at start {config['loadavg']}"
    )
    header = (
        f"{'app':<9}{'round':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'acks/s':>8}{'non-200':>9}"
        f"{'tickets':>9}{'cards':>7}{'inbox':>7}{'drain s':>9}{'tkt/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rounds:
        non200 = sum(r.non_200.values())

        def opt(v: float | int | None, width: int, fmt: str = "") -> str:
            return f"{'-':>{width}}" if v is None else f"{v:>{width}{fmt}}"

        print(
            f"{r.app:<9}{r.round:>6}{r.p50_ms:9.1f}{r.p99_ms:9.1f}{r.max_ms:9.1f}{r.acks_per_s:8.0f}"
            f"{non200:>9}{opt(r.tickets, 9)}{opt(r.cards, 7)}{opt(r.inbox_rows, 7)}"
            f"{opt(r.drain_s, 9, '.1f')}{opt(r.tickets_per_s, 8, '.1f')}"
        )
    print("-" * len(header))
    for name in ("bare", "replicas"):
        s = summary[name]
        print(
            f"{name:<9} p50 {_fmt(s['p50_ms'], unit=' ms')}, p99 {_fmt(s['p99_ms'], unit=' ms')}, "
            f"max {_fmt(s['max_ms'], unit=' ms')}, acks/s {_fmt(s['acks_per_s'], 0)}"
        )
    rep = summary["replicas"]
    print(
        f"ratio replicas/bare (median of per-round ratios, min-max): "
        f"p50 {_fmt(summary['ratio_p50'], 2, 'x')}, "
        f"p99 {_fmt(summary['ratio_p99'], 2, 'x')}"
    )
    print(
        f"drain (first send -> last card) {_fmt(rep['drain_s'], unit=' s')}, "
        f"tickets/s {_fmt(rep['tickets_per_s'])}"
    )
    for r in rounds:
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in r.cpu_s.items())
        extra = f"; {r.queue_depth_lines} 'Task queue depth' log lines" if r.app == "replicas" else ""
        print(
            f"{r.app} round {r.round}: requests per process {r.share}; {r.over_3s} acks over 3 s; "
            f"connection limit reached {r.connection_limit_lines}x; CPU s: {cpu}{extra}"
        )
    failures = summary["failures"]
    print("correctness: " + ("every check passed" if not failures else f"{len(failures)} FAILED"))
    for failure in failures:
        print(f"  FAILED: {failure}")


# -- main ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_replicas", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--events", type=int, default=10_000, help="distinct events per round (10000)")
    parser.add_argument("--concurrency", type=int, default=200, help="concurrent clients in all (200)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds per app (default 1)")
    parser.add_argument(
        "--retry-share", type=float, default=0.1, help="share re-sent to the other replica (0.1)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    if args.events < 10 or args.concurrency < REPLICAS or args.rounds < 1 or not 0 <= args.retry_share <= 1:
        parser.error("need --events >= 10, --concurrency >= 2, --rounds >= 1, 0 <= --retry-share <= 1")
    return args


@dataclass
class Harness:
    """Everything a round needs, set up by `harness()`: shared by this bench and its end-to-end test."""

    client: LoadProcess
    fake: FakeSlackProcess
    db: Database
    served: list[Process]
    workdir: Path
    factory: EventFactory = field(default_factory=lambda: EventFactory(ict_texts()))

    def stream(self, n: int, retry_share: float, concurrency: int) -> Stream:
        # A retry comes `concurrency` requests after its original: the original is then in flight or just
        # acknowledged, its processing on the way, as when Slack retries after a slow ack.
        return build_stream(self.factory, n, retry_share, gap=concurrency, replicas=len(self.served))

    def replicas_round(self, n: int, concurrency: int, retry_share: float, round_no: int) -> RoundStats:
        stream = self.stream(n, retry_share, concurrency)
        return replicas_round(self.client, self.served, self.fake, self.db, stream, concurrency, round_no)


@contextmanager
def harness(database_url: str) -> Iterator[Harness]:
    """The fake Slack, the load generator, and two replicas on `database_url` (a fresh database)."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-replicas-")))
        client = LoadProcess()
        stack.callback(client.close)
        fake = FakeSlackProcess()
        stack.callback(fake.close)
        served = stack.enter_context(replicas(database_url, fake.api_url, workdir))
        db = Database(database_url)
        stack.callback(db.close)
        yield Harness(client, fake, db, served, workdir)


def run(args: argparse.Namespace) -> tuple[list[RoundStats], dict[str, Any], dict[str, Any]]:
    config: dict[str, Any] = {
        "date": date.today().isoformat(),
        "events": args.events,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "retry_share": args.retry_share,
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": "fsync=on, synchronous_commit=on, full_page_writes=on (DURABLE)",
    }
    server = start_server(DURABLE)
    try:
        server.execute("CREATE DATABASE bench")
        with harness(server.url("bench")) as h, bare_apps(h.fake.api_url, h.workdir) as bare:
            print("warming up", file=sys.stderr)
            warm = h.replicas_round(WARMUP_EVENTS, min(args.concurrency, 20), args.retry_share, 0)
            if warm.failures:
                raise BenchError("warm-up failed: " + "; ".join(warm.failures))
            h.client.run([p.url for p in bare], h.stream(WARMUP_EVENTS, 0.0, 20).requests, 20)
            rounds: list[RoundStats] = []
            for round_no in range(1, args.rounds + 1):
                stream = h.stream(args.events, args.retry_share, args.concurrency)
                config["retried"] = stream.retried
                rounds.append(bare_round(h.client, bare, stream, args.concurrency, round_no))
                print(f"round {round_no}: bare done", file=sys.stderr)
                rounds.append(h.replicas_round(args.events, args.concurrency, args.retry_share, round_no))
                print(f"round {round_no}: replicas done", file=sys.stderr)
            tracebacks = sum(p.count("Traceback") for p in h.served)
            config["replica_tracebacks"] = tracebacks
    finally:
        server.stop()
    summary = summarise(rounds)
    if tracebacks:
        summary["failures"].append(f"{tracebacks} tracebacks in the replicas' logs")
    return rounds, summary, config


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        rounds, summary, config = run(args)
    except BenchError as exc:
        print(f"bench_replicas: ERROR: {exc}", file=sys.stderr)
        return 1
    config["wall_s"] = round(time.monotonic() - started, 1)
    print_report(rounds, summary, config)
    print(f"(wall time {config['wall_s']} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"config": config, "rounds": [asdict(r) for r in rounds], "summary": summary}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
