"""Rows of the inbound-request inbox: recorded before the acknowledgement, drained by the worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Row, and_, bindparam, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from servicebot.storage.tables import inbound_requests
from servicebot.storage.types import UTCDateTime

_ACCEPT_INBOUND = text(
    "INSERT INTO inbound_requests (key, kind, payload, received_at, attempts) "
    "VALUES (:key, :kind, :payload, :received_at, 0) ON CONFLICT (key) DO NOTHING"
).bindparams(bindparam("payload", type_=JSON), bindparam("received_at", type_=UTCDateTime()))


def accept_inbound(session: Session, key: str, kind: str, payload: dict[str, Any], at: datetime) -> bool:
    """Record a request; False if this key was seen before (a retry or a duplicate delivery)."""
    return key in accept_inbound_many(session, [(key, kind, payload)], at)


def accept_inbound_many(
    session: Session, requests: list[tuple[str, str, dict[str, Any]]], at: datetime
) -> set[str]:
    """Record many requests at once; returns the keys that were new (the rest were seen before).

    ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+) lets the unique key decide, also against
    another process inserting the same key concurrently; the row count says which insert won."""
    connection = session.connection()
    fresh: set[str] = set()
    for key, kind, payload in requests:
        result = connection.execute(
            _ACCEPT_INBOUND, {"key": key, "kind": kind, "payload": payload, "received_at": at}
        )
        if result.rowcount == 1:
            fresh.add(key)
    return fresh


def insert_inbound_many(
    connection: Connection, requests: list[tuple[str, str, dict[str, Any]]], at: datetime
) -> set[str]:
    """`accept_inbound_many` as one statement (PostgreSQL, autocommit): one round trip to the server for
    the whole batch, where a transaction of one INSERT a request takes two more than there are requests.
    The keys must be distinct."""
    statement = (
        postgresql_insert(inbound_requests)
        .on_conflict_do_nothing(index_elements=[inbound_requests.c.key])
        .returning(inbound_requests.c.key)
    )
    rows = [
        {"key": k, "kind": kind, "payload": p, "received_at": at, "attempts": 0} for k, kind, p in requests
    ]
    return {str(key) for key in connection.execute(statement, rows).scalars()}


def mark_inbound(
    session: Session, key: str, at: datetime, error: str | None = None, retry_at: datetime | None = None
) -> None:
    """Done (no error), or failed and due again at `retry_at`; either way no longer claimed. A request
    already done stays done: a worker whose claim was taken over may finish after the one that took it."""
    values: dict[str, Any] = {
        "attempts": inbound_requests.c.attempts + 1,
        "claimed_by": None,
        "claimed_until": None,
    }
    if error is None:
        values["processed_at"] = at  # last_error stays: why earlier attempts failed is worth keeping
    else:
        values.update(last_error=error, not_before=retry_at)
    session.execute(
        update(inbound_requests)
        .where(inbound_requests.c.key == key, inbound_requests.c.processed_at.is_(None))
        .values(**values)
    )


def _due(now: datetime, max_attempts: int) -> Any:
    c = inbound_requests.c
    return and_(
        c.processed_at.is_(None),
        c.attempts < max_attempts,
        or_(c.not_before.is_(None), c.not_before <= now),
        or_(c.claimed_until.is_(None), c.claimed_until <= now),  # no worker has it, or its claim lapsed
    )


def due_inbound(
    session: Session,
    now: datetime,
    *,
    max_attempts: int,
    limit: int = 100,
    received_before: datetime | None = None,
) -> Sequence[Row[Any]]:
    """Unprocessed requests that are due and not in a worker's hands, oldest first; those that failed too
    often are left for a person."""
    query = select(inbound_requests).where(_due(now, max_attempts))
    if received_before is not None:
        query = query.where(inbound_requests.c.received_at < received_before)
    return session.execute(query.order_by(inbound_requests.c.received_at).limit(limit)).all()


def claim_inbound(
    session: Session, now: datetime, *, holder: str, until: datetime, max_attempts: int, limit: int
) -> Sequence[Row[Any]]:
    """Take up to `limit` due requests for `holder` until `until`, oldest first, and return them.

    FOR UPDATE SKIP LOCKED (PostgreSQL): workers on several replicas claiming at once each take rows the
    others have not locked, none waits, and a row claimed and committed meanwhile fails `_due` when it is
    re-checked. SQLite ignores the clause; its write transaction (BEGIN IMMEDIATE) is the lock there."""
    keys = list(
        session.execute(
            select(inbound_requests.c.key)
            .where(_due(now, max_attempts))
            .order_by(inbound_requests.c.received_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not keys:
        return []
    session.execute(
        update(inbound_requests)
        .where(inbound_requests.c.key.in_(keys))
        .values(claimed_by=holder, claimed_until=until)
    )
    query = select(inbound_requests).where(inbound_requests.c.key.in_(keys))
    return session.execute(query.order_by(inbound_requests.c.received_at)).all()


def release_inbound(session: Session, keys: list[str], holder: str) -> None:
    """Unclaim `holder`'s requests among `keys` that are not done."""
    c = inbound_requests.c
    session.execute(
        update(inbound_requests)
        .where(c.key.in_(keys), c.claimed_by == holder, c.processed_at.is_(None))
        .values(claimed_by=None, claimed_until=None)
    )


def claim_holders(session: Session) -> set[str]:
    """Who holds claims on requests not yet done."""
    c = inbound_requests.c
    query = select(c.claimed_by).where(c.claimed_by.is_not(None), c.processed_at.is_(None)).distinct()
    return {str(holder) for holder in session.execute(query).scalars()}


def release_holder(session: Session, holder: str) -> None:
    c = inbound_requests.c
    session.execute(
        update(inbound_requests)
        .where(c.claimed_by == holder, c.processed_at.is_(None))
        .values(claimed_by=None, claimed_until=None)
    )
