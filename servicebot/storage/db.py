"""The one place that builds the database engine and session factory."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

T = TypeVar("T")


def make_engine(url: str, sqlite_pragmas: dict[str, int] | None = None, **kwargs: Any) -> Engine:
    """`sqlite_pragmas`: extra PRAGMAs for each new SQLite connection, read when it connects."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=20,
            **kwargs,
        )
        _sqlite_pragmas(engine, sqlite_pragmas if sqlite_pragmas is not None else {})
        return engine
    return create_engine(with_driver(url), pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


# The PostgreSQL driver ServiceBot ships with (the `postgres` extra) is psycopg 3; SQLAlchemy's default
# for a bare postgresql:// is psycopg2, and postgres:// (Heroku's spelling) is no dialect at all.
POSTGRES_DRIVER = "postgresql+psycopg"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
INSTALL_POSTGRES = "install the postgres extra (psycopg 3): pip install '.[postgres]'"


def with_driver(url: str) -> str:
    for scheme in _POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return POSTGRES_DRIVER + "://" + url[len(scheme) :]
    return url


_READ_ONLY = "servicebot_read_only"


def _sqlite_pragmas(engine: Engine, extra: dict[str, int]) -> None:
    """WAL lets readers run beside the writer; writes BEGIN IMMEDIATE, taking the write lock up front.

    pysqlite's default deferred transactions fail at once with "database is locked" when a reader
    later tries to write while another connection writes. Read-only transactions BEGIN DEFERRED and
    read a WAL snapshot without any lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        for name, value in extra.items():
            cursor.execute(f"PRAGMA {name}={int(value)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


class NestedTransaction(RuntimeError):
    """A transaction opened inside another on the same thread: with SQLite's single writer lock that
    waits on itself until busy_timeout, so it is refused at once instead."""


class DatabaseUnavailable(Exception):
    """The database cannot be used at all (no driver, a URL its driver refuses, nothing answers); the
    message says why, without the password."""


def safe_url(url: str) -> str:
    """The URL as it may be shown or logged: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, or None (another database, in-memory, a `file:` URI or no URL at all):
    what lets a command that only reads say "no database there" instead of creating an empty one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in ("", ":memory:") or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def sqlite_as_found(path: Path) -> Engine:
    """An engine on an existing SQLite file that sets nothing and creates nothing: for looking at a file
    that may not be ours. The usual engine's first connection turns WAL on, which rewrites the file's
    header, and connecting creates a missing file; `mode=rw` fails instead. (Not `mode=ro`: on a WAL file
    a read-only connection leaves -wal and -shm files behind, which it may not delete.)"""
    uri = f"{path.absolute().as_uri()}?mode=rw"
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        poolclass=NullPool,
    )


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the database refused work that was otherwise fine (read-only, disk full, locked past the busy
    timeout, gone away), in the driver's words; None for any other failure, which is a bug to surface.

    The transaction that failed has been rolled back, so nothing of that work was written."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and _refused(getattr(exc.orig, "sqlstate", None))
    ):
        return str(exc.orig or exc).splitlines()[0][:200]
    return None


# PostgreSQL's SQLSTATE classes for a server that refused work it would otherwise do: the connection
# (08), a read-only transaction (25006: a standby, or a database set read-only), resources (53: disk
# full, too many connections), an operator (57: shutting down, cannot connect now), and a transaction
# rolled back for another's sake (40001 serialization, 40P01 deadlock). psycopg reports some of these
# as InternalError, not OperationalError.
_REFUSED_CLASSES = ("08", "53", "57")
_REFUSED_STATES = frozenset({"25006", "40001", "40P01"})


def _refused(sqlstate: object) -> bool:
    return isinstance(sqlstate, str) and (sqlstate in _REFUSED_STATES or sqlstate[:2] in _REFUSED_CLASSES)


class HeldConnection:
    """One autocommit connection kept by one thread, for single statements that are each their own unit
    of work (the inbox's writer on PostgreSQL). Taking a connection from the pool for each statement
    costs a round trip (the liveness ping) and two more for BEGIN and COMMIT, each a wait for the server
    and for the interpreter lock after it; here a statement is one round trip. A connection found broken
    (the server restarted) is replaced and the statement tried once more, so only idempotent statements
    belong here."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._connection: Connection | None = None

    def run(self, statement: Callable[[Connection], T]) -> T:
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = self._engine.connect()
            try:
                return statement(self._connection)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()


# The databases ServiceBot is built and tested for (URL schemes, before any "+driver").
_BACKENDS = frozenset({"sqlite", "postgresql", "postgres"})


class Database:
    """Engine plus session factory; `transaction()` is the unit of work every service uses."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self._pragmas: dict[str, int] = {}
        backend = url.split(":", 1)[0].split("+", 1)[0]
        if backend not in _BACKENDS:
            raise DatabaseUnavailable(
                f"cannot use {safe_url(url)}: ServiceBot runs on SQLite (sqlite:///path/to/file.db) or "
                "PostgreSQL (postgresql://user:password@host/database)"
            )
        try:
            self.engine = make_engine(url, self._pragmas, **engine_kwargs)
        except (ArgumentError, ImportError, TypeError) as exc:
            # SQLAlchemy names the plugin or argument it could not use; a missing driver is an ImportError.
            if isinstance(exc, ImportError) and with_driver(url).split("://")[0] == POSTGRES_DRIVER:
                raise DatabaseUnavailable(
                    f"cannot use {self.safe_url}: the PostgreSQL driver is not installed; {INSTALL_POSTGRES}"
                ) from exc
            raise DatabaseUnavailable(f"cannot use {self.safe_url}: {exc}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        # SQLite has one writer at a time. Its busy handler makes a waiting connection sleep and retry
        # with backoff (up to 100 ms a try), so under load writers wait far longer than the lock is held.
        # Queuing this process's writers on a lock of our own hands the lock over the moment it is free.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )
        self._local = threading.local()

    def leave_checkpoints_to_others(self) -> None:
        """Stop this process's commits from checkpointing the SQLite WAL.

        A checkpoint runs inside whichever commit crosses the WAL's size limit and copies megabytes;
        on the path that acknowledges Slack that is a stall. The worker, which also writes this file,
        checkpoints it instead."""
        if self.engine.dialect.name == "sqlite":
            self._pragmas["wal_autocheckpoint"] = 0
            self.engine.dispose()  # pooled connections were opened without it

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A read-write unit of work: commit on success, roll back on any exception, no partial writes."""
        with self._guard(), self._write_lock, self._sessions.begin() as session:
            yield session

    def held(self) -> HeldConnection:
        """A connection of its own for one thread that writes all the time (see HeldConnection)."""
        if self.engine.dialect.name == "sqlite":
            raise NotImplementedError("SQLite writes go through transaction(), which takes the write lock")
        return HeldConnection(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot: never waits for writers on SQLite (WAL), so queries stay fast under load."""
        with self._guard(), self._read_sessions.begin() as session:
            yield session

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if getattr(self._local, "open", False):
            raise NestedTransaction("a transaction is already open on this thread; pass its session down")
        self._local.open = True
        try:
            yield
        finally:
            self._local.open = False

    @property
    def safe_url(self) -> str:
        return safe_url(self.url)

    def problem(self) -> str | None:
        """None if the database answers; else why not, in the driver's words (start-up and health checks)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to answer is the answer
            # One line: libpq adds a tabbed hint on a line of its own ("Is the server running…").
            return " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]
        return None

    def dispose(self) -> None:
        self.engine.dispose()
