"""Inbound requests recorded before they are acknowledged: the dedupe for retries, and the durable queue
that workers take their work from (failed work is retried with backoff, never lost).

Recording is group-committed: callers hand their row to the writer thread, which stores everything that
queued up meanwhile in a single transaction and then answers each caller. Under a burst that is one
write-lock acquisition (SQLite) or one commit flushed to disk (PostgreSQL) per batch instead of one per
request, which keeps acknowledgements fast.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import DataError, DBAPIError, StatementError

from servicebot.domain.clock import Clock
from servicebot.storage import inbox as inbox_rows
from servicebot.storage.db import Database, HeldConnection

MAX_ATTEMPTS = 8
MAX_BATCH = 500
MAX_BACKOFF = timedelta(minutes=10)
log = logging.getLogger("servicebot.inbox")


@dataclass(frozen=True)
class PendingRequest:
    key: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int
    claimed_until: datetime | None = None  # a claimed request is this worker's until then, no longer


def holder_id() -> str:
    """Who holds a claim or a lease: this process, told apart from any other on any machine."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _Accept:
    key: str
    kind: str
    payload: dict[str, Any]
    answer: Future[bool] = field(default_factory=Future)


class Stamp(Protocol):
    """A float shared with the worker: a plain attribute here, a multiprocessing.RawValue across processes."""

    value: float


class _Local:
    value = 0.0


# How long after the last request recorded acknowledgements still count as going on: within a burst
# requests come far closer together than this; a desk's ordinary traffic, seconds apart, does not hold
# the worker up at all.
ACK_QUIET_SECONDS = 0.05


class Activity:
    """When the web process last recorded a request, so that background work gives way to a burst.

    A time, not a count of requests in flight: a request spends well under a millisecond being recorded,
    so a count was nearly always zero between two requests of a burst and the worker did not give way.
    time.monotonic() is the machine's clock (CLOCK_MONOTONIC), the same in every process. Written and
    read without a lock: any recent value will do, and a process killed while holding a lock would
    stop the other side."""

    def __init__(self, stamp: Stamp | None = None) -> None:
        self._stamp = stamp if stamp is not None else _Local()

    def touch(self) -> None:
        self._stamp.value = time.monotonic()

    def busy(self) -> bool:
        """Whether requests are arriving right now."""
        return time.monotonic() - self._stamp.value < ACK_QUIET_SECONDS


class Inbox:
    """`claim_for`: how long a worker has the requests it claims. Workers on several replicas share one
    inbox; a claim that lapses (its worker died, or stalled that long) is taken by the next worker to look,
    so a request is never stranded for longer than this, and never done by two workers at once while the
    first is alive: a worker skips what it claimed once its claim has run out."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        retry_base: timedelta = timedelta(seconds=5),
        claim_for: timedelta = timedelta(seconds=60),
    ) -> None:
        self.db = db
        self.clock = clock
        self.retry_base = retry_base
        self.claim_for = claim_for
        self.holder = holder_id()
        # Called after new requests are stored, e.g. to wake a worker process at once instead of at its
        # next poll.
        self.notify: Callable[[], None] = lambda: None
        self.activity = Activity()
        self._queue: queue.SimpleQueue[_Accept | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # A server (PostgreSQL): one statement a batch, on a connection the writer keeps. SQLite: a
        # transaction under its write lock (a statement a row costs microseconds there).
        self._on_server = db.engine.dialect.name != "sqlite"

    def accept(self, key: str, kind: str, payload: dict[str, Any], timeout: float = 2.5) -> bool:
        """True the first time a key is seen; False for a retry or duplicate delivery.

        Returns once the row is committed. Raises if it could not be stored within `timeout`, so the
        caller does not acknowledge what it has not kept (Slack will deliver it again)."""
        request = _Accept(key, kind, payload)
        self._ensure_writer()
        self.activity.touch()
        self._queue.put(request)
        try:
            return request.answer.result(timeout)
        finally:
            self.activity.touch()

    def done(self, key: str) -> None:
        with self.db.transaction() as session:
            inbox_rows.mark_inbound(session, key, self.clock())

    def failed(self, request: PendingRequest, error: str) -> timedelta:
        """Record the failure; the request is due again after an exponential backoff, which it returns."""
        backoff = min(self.retry_base * (1 << min(request.attempts, 16)), MAX_BACKOFF)
        now = self.clock()
        with self.db.transaction() as session:
            inbox_rows.mark_inbound(session, request.key, now, error=error[:2000], retry_at=now + backoff)
        return backoff

    def due(self, limit: int = 50) -> list[PendingRequest]:
        """Work to do now that no worker has in hand, oldest first (a look: nothing is claimed)."""
        with self.db.read() as session:
            rows = inbox_rows.due_inbound(session, self.clock(), max_attempts=MAX_ATTEMPTS, limit=limit)
        return [PendingRequest(r.key, r.kind, dict(r.payload), r.received_at, r.attempts) for r in rows]

    def claim(self, limit: int = 50) -> list[PendingRequest]:
        """Work to do now, oldest first, claimed for this worker for `claim_for`.

        A look first, without the write lock: an idle worker polling SQLite every second must not queue
        behind, or hold up, the acknowledgements' writes."""
        if not self.due(1):
            return []
        now = self.clock()
        with self.db.transaction() as session:
            rows = inbox_rows.claim_inbound(
                session,
                now,
                holder=self.holder,
                until=now + self.claim_for,
                max_attempts=MAX_ATTEMPTS,
                limit=limit,
            )
            return [
                PendingRequest(r.key, r.kind, dict(r.payload), r.received_at, r.attempts, r.claimed_until)
                for r in rows
            ]

    def release(self, requests: list[PendingRequest]) -> None:
        """Let go of claimed requests not done (the worker is stopping): due again for any worker now."""
        if requests:
            with self.db.transaction() as session:
                inbox_rows.release_inbound(session, [r.key for r in requests], self.holder)

    def still_mine(self, request: PendingRequest) -> bool:
        """Whether this worker's claim on `request` holds (an unclaimed request is anyone's)."""
        return request.claimed_until is None or self.clock() < request.claimed_until

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=5)
            self._writer = None

    # -- the writer ------------------------------------------------------------------------------------
    def _ensure_writer(self) -> None:
        if self._writer is None:
            with self._start_lock:
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write_batches, name="inbox-writer", daemon=True
                    )
                    self._writer.start()

    def _write_batches(self) -> None:
        """One writer: a batch is whatever arrived while the last one was being committed, so the busier
        it gets, the fewer commits (each a flush to disk on a server) a request costs. Measured on
        PostgreSQL, four writers each committing smaller batches acknowledged more slowly than one."""
        held = self.db.held() if self._on_server else None
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._queue.put(None)  # finish this batch, then stop
                        break
                    batch.append(more)
                self._store(batch, held)
        finally:
            if held is not None:
                held.close()

    def _store(self, batch: list[_Accept], held: HeldConnection | None) -> None:
        firsts: dict[str, _Accept] = {}
        for request in batch:
            firsts.setdefault(request.key, request)
        rows = [(r.key, r.kind, r.payload) for r in firsts.values()]
        try:
            if held is None:
                with self.db.transaction() as session:
                    stored = inbox_rows.accept_inbound_many(session, rows, self.clock())
            else:
                now = self.clock()
                stored = held.run(lambda connection: inbox_rows.insert_inbound_many(connection, rows, now))
        except Exception as exc:
            if len(firsts) > 1 and _refused_row(exc):
                # One row the database will not take (a value its JSON type refuses) must not fail the
                # requests that happened to share its batch: store each key on its own.
                for key in firsts:
                    self._store([r for r in batch if r.key == key], held)
                return
            log.exception("could not record %d inbound requests", len(batch))
            for request in batch:
                request.answer.set_exception(exc)
            return
        for request in batch:
            request.answer.set_result(request.key in stored and firsts[request.key] is request)
        if stored:
            self.notify()


def _refused_row(exc: Exception) -> bool:
    """A row's own data was refused (so the others may be stored), not the database being unavailable."""
    if isinstance(exc, DataError):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)  # e.g. not serializable
