"""Bulk inserts for loaders (imports, `facts rebuild`) that write hundreds of thousands of rows at once.

`session.execute(insert(table), rows)` runs every value of every row through SQLAlchemy's parameter and type
processing; at a million tickets that costs more than SQLite's own work. On SQLite the rows here go to the
driver's `executemany` as tuples, each value converted once by a converter chosen per column, storing
exactly what SQLAlchemy would store (a test compares the two files byte for byte). Any other database takes
the ordinary SQLAlchemy path, so PostgreSQL behaves as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from servicebot.storage.types import UTCDateTime

_SQLITE_LOAD_CACHE_KIB = -128 * 1024  # negative: KiB rather than pages

Convert = Callable[[Any], Any]


def _sqlite_instant(value: datetime | None) -> str | None:
    # What UTCDateTime then SQLite's DATETIME store: naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff".
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: store time zone-aware timestamps only")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # less its "+00:00"; faster than .replace(tzinfo=None)


def _sqlite_json(value: Any) -> str:
    # JSON's default serializer (the engine sets none); None is stored as JSON null, as SQLAlchemy does.
    # Most events carry no data: "{}" is what json.dumps gives, without its cost.
    if value == {}:
        return "{}"
    return json.dumps(value)


def _converter(column: Column[Any], dialect: Dialect) -> Convert | None:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_instant
    if isinstance(kind, JSON):
        return _sqlite_json
    if isinstance(kind, Boolean):
        return None  # sqlite3 stores True and False as 1 and 0, as SQLAlchemy's processor does
    processor: Convert | None = kind._cached_bind_processor(dialect)
    return processor


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(insert(table), list(rows))
        return
    keys = list(rows[0])
    insert_sqlite_values(session, table, keys, sqlite_values(table, keys, rows, connection.dialect))


def sqlite_values(
    table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[Any]:
    """`rows` as SQLite stores them, one tuple of `keys`' values a row: what `insert_sqlite_values` writes.
    Apart so that another process can convert rows (a parallel `facts rebuild`) and send back plain tuples."""
    converters = [_converter(table.c[key], dialect) for key in keys]
    get = itemgetter(*keys)
    convert = [(i, c) for i, c in enumerate(converters) if c is not None]
    values: list[Any]
    if len(keys) == 1:
        values = [(row[keys[0]],) for row in rows]
    elif not convert:
        values = list(map(get, rows))
    else:
        values = []
        append = values.append
        for row in rows:
            value = list(get(row))
            for i, c in convert:
                value[i] = c(value[i])
            append(value)
    return values


def insert_sqlite_values(session: Session, table: Table, keys: Sequence[str], values: Sequence[Any]) -> None:
    """Stored values (from `sqlite_values`) into `table` on SQLite, straight through the driver."""
    if not values:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(table.c[k].name) for k in keys)}) "
        f"VALUES ({', '.join('?' for _ in keys)})"
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


def cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def wide_sqlite_cache(session: Session) -> Iterator[None]:
    """SQLite's default 2 MB page cache thrashes on the indexes during a bulk load: widen it for this
    (pooled) connection while loading, then put it back. Nothing on other databases."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size={_SQLITE_LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={previous}")


@contextmanager
def indexes_set_aside(session: Session, tables: Sequence[Table]) -> Iterator[None]:
    """On SQLite, the tables' indexes dropped while rows are written in bulk and built again after, in the
    same transaction (readers keep the old rows and indexes until it commits). Building an index from a
    million rows at once is a sort; keeping the covering indexes up to date row by row was about half of a
    facts rebuild. Unique constraints stay (SQLite's own indexes for them cannot be dropped), so a
    duplicate is still refused. On other databases nothing changes: dropping an index there locks out
    readers."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    # The indexes this file has, as it created them (not as this version declares them), so the file ends
    # with the schema it had.
    found = [
        row
        for table in tables
        for row in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "AND upper(sql) NOT LIKE 'CREATE UNIQUE%'",
            (table.name,),
        ).all()
    ]
    for name, _ in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in found:
        connection.exec_driver_sql(sql)
