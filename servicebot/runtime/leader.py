"""Leader election: which replica runs the scheduled work (digests, breach evaluation), one at a time.

Every worker takes part; the one elected starts the scheduler, the others wait to take over. Through the
database every replica already shares, so there is nothing else to run:

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) held on a connection of its own. The
  server lets it go the moment that connection ends: a leader that exits, crashes or is killed frees it
  at once, and the next replica to look (every `every` seconds) takes it. A machine that vanishes without
  closing its connection is noticed by the server's TCP keepalives, which the lock's connection sets to
  give up after about 30 seconds.
- SQLite (replicas on one machine, sharing one file): a lease row renewed every `every` seconds and
  lapsing `ttl` after the last renewal; a leader that cannot renew stands down before its lease lapses.

Nothing is sent twice across a change of leader even if two ran a job at once: every digest and alert is
recorded in the outbox under its own key. The elected leader catches up on a digest whose run the old
leader may have begun but not recorded (`DigestScheduler.start`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from servicebot.domain.clock import Clock
from servicebot.runtime.inbox import holder_id
from servicebot.storage import leases
from servicebot.storage.db import Database

log = logging.getLogger("servicebot.leader")

SCHEDULER = "scheduler"


class Election(Protocol):
    holder: str

    def hold(self) -> bool:
        """Become leader, or stay it: True while this process leads. Never raises."""
        ...

    def resign(self) -> None:
        """Stop leading now (a clean stop), so another takes over without waiting."""
        ...


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key for `name` (advisory locks are per database, so per installation)."""
    return int.from_bytes(hashlib.sha256(f"servicebot:{name}".encode()).digest()[:8], "big", signed=True)


# On the lock's own connection: a leader whose machine vanished is noticed by the server after about
# idle 10 s + 3 probes 5 s apart, or 30 s of unacknowledged data, rather than the system's two hours.
_KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 30000",
)


class AdvisoryLock:
    """PostgreSQL's session advisory lock, held on a connection kept for it alone."""

    def __init__(self, db: Database, name: str = SCHEDULER) -> None:
        self.db = db
        self.key = lock_key(name)
        self.holder = holder_id()
        self._connection: Connection | None = None

    def hold(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError as exc:
                # The connection is gone, and the lock with it: another replica may lead already.
                log.warning("the leader's database connection failed (%s): standing down", _first_line(exc))
                self._drop()
                return False
        connection: Connection | None = None
        try:
            connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            for setting in _KEEPALIVES:
                connection.execute(text(setting))
            won = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            )
        except SQLAlchemyError as exc:
            log.warning("cannot take part in the leader election now: %s", _first_line(exc))
            if connection is not None:
                connection.invalidate()
            return False
        if won:
            with contextlib.suppress(SQLAlchemyError):  # a label only
                # Who leads, for whoever looks at pg_stat_activity (and the replicas' end-to-end test).
                connection.execute(
                    text("SELECT set_config('application_name', :name, false)"),
                    {"name": f"servicebot leader {self.holder}"[:63]},
                )
            self._connection = connection
            return True
        connection.close()
        return False

    def resign(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.execute(text("RESET application_name"))  # back to the pool unlabelled
            self._connection.close()
        except SQLAlchemyError:
            self._drop()  # closing the connection ends the session, which frees the lock anyway
        self._connection = None

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.invalidate()  # the session, and any lock it held, end with it
        self._connection = None


class LeaseRow:
    """A lease in the `leases` table: for SQLite, whose replicas share one file on one machine (one clock)."""

    def __init__(
        self, db: Database, clock: Clock, name: str = SCHEDULER, ttl: timedelta = timedelta(seconds=30)
    ) -> None:
        self.db = db
        self.clock = clock
        self.name = name
        self.ttl = ttl
        self.holder = holder_id()
        self._renewed: float | None = None  # time.monotonic() of the last renewal while leading

    def hold(self) -> bool:
        now = self.clock()
        try:
            with self.db.transaction() as session:
                held = leases.take(session, self.name, self.holder, now, now + self.ttl)
        except SQLAlchemyError as exc:
            # Not renewed. Lead on only while the lease certainly has not lapsed (half its life, so that
            # a slow clock tick or a late check cannot leave two leaders), then stand down.
            still = (
                self._renewed is not None and time.monotonic() - self._renewed < self.ttl.total_seconds() / 2
            )
            log.warning(
                "could not renew the leader's lease (%s)%s",
                _first_line(exc),
                "" if still else ": standing down",
            )
            if not still:
                self._renewed = None
            return still
        self._renewed = time.monotonic() if held else None
        return held

    def resign(self) -> None:
        self._renewed = None
        try:
            with self.db.transaction() as session:
                leases.give_up(session, self.name, self.holder)
        except SQLAlchemyError as exc:
            log.warning("could not give up the leader's lease (%s); it lapses by itself", _first_line(exc))


def election_for(db: Database, clock: Clock, name: str = SCHEDULER) -> Election:
    if db.engine.dialect.name == "postgresql":
        return AdvisoryLock(db, name)
    return LeaseRow(db, clock, name)


class Leadership:
    """Takes part in an election every `every` seconds in a thread of its own: `on_elected` when this
    process becomes leader, `on_deposed` when it stops being (lost the lock, or stopping)."""

    def __init__(
        self,
        election: Election,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        every: float = 5.0,
    ) -> None:
        self.election = election
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.every = every
        self.leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> bool:
        """One look: become, stay or stop being the leader. Returns whether this process leads now."""
        held = self.election.hold()
        if held and not self.leading:
            self.leading = True
            # DEBUG: every single-process start is an election; a change of leader is what is worth a line
            # (the warnings below, and the new leader's catch-up).
            log.debug("elected to run the scheduled work (%s)", self.election.holder)
            try:
                self.on_elected()
            except Exception:
                log.exception("starting the scheduled work failed; standing down to let another try")
                self._stand_down()
        elif not held and self.leading:
            log.warning("no longer the leader: stopping the scheduled work")
            self.leading = False
            self._deposed()
        return self.leading

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the scheduled work if this process leads, and resign so another takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._stand_down()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the election must outlive anything; the next tick tries again
                log.exception("leader election failed; trying again")
            self._stop.wait(self.every)

    def _stand_down(self) -> None:
        if self.leading:
            self.leading = False
            self._deposed()
        self.election.resign()

    def _deposed(self) -> None:
        try:
            self.on_deposed()
        except Exception:
            log.exception("stopping the scheduled work failed")


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
