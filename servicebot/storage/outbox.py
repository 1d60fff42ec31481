"""Rows of the outbox (`domain/outbox.py`): recorded once per key, read by the relay in thread order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Row, and_, bindparam, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from servicebot.domain.outbox import NOTICE, UPLOAD, Message, Notice, Status, Upload
from servicebot.storage.tables import outbox
from servicebot.storage.types import UTCDateTime

# ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+): the unique key decides, also against another
# process recording the same message at the same moment; the row count says whether this one was new.
_RECORD = text(
    "INSERT INTO outbox (key, thread, method, payload, status, attempts, next_attempt_at, created_at) "
    "VALUES (:key, :thread, :method, :payload, 'pending', 0, :not_before, :at) ON CONFLICT (key) DO NOTHING"
).bindparams(
    bindparam("payload", type_=JSON),
    bindparam("at", type_=UTCDateTime()),
    bindparam("not_before", type_=UTCDateTime()),
)
MAX_KEY = 200
_UNCLAIMED: dict[str, Any] = {"claimed_by": None, "claimed_until": None}


def record(
    session: Session,
    key: str,
    thread: str,
    method: str,
    payload: dict[str, Any],
    at: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Record a message to send (not before `not_before`: a held alert, which also holds what follows it
    in its thread); False if one with this key was recorded before (it is not sent again)."""
    if not key or len(key) > MAX_KEY or len(thread) > MAX_KEY:
        raise ValueError(f"an outbox key and thread are 1 to {MAX_KEY} characters: {key!r}, {thread!r}")
    result = session.connection().execute(
        _RECORD,
        {
            "key": key,
            "thread": thread,
            "method": method,
            "payload": payload,
            "at": at,
            "not_before": max(at, not_before) if not_before is not None else at,
        },
    )
    return bool(result.rowcount == 1)


def record_notice(
    session: Session, key: str, notice: Notice, thread: str, at: datetime, not_before: datetime | None = None
) -> bool:
    return record(session, key, thread, NOTICE, notice.payload(), at, not_before)


def record_upload(
    session: Session, key: str, upload: Upload, thread: str, at: datetime, not_before: datetime | None = None
) -> bool:
    return record(session, key, thread, UPLOAD, upload.payload(), at, not_before)


def with_prefix(session: Session, prefix: str) -> list[Message]:
    """Messages whose key starts with `prefix` (e.g. everything sent about one alert), in order."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(outbox).where(outbox.c.key.like(escaped + "%", escape="\\")).order_by(outbox.c.id)
    return [_message(row) for row in session.execute(query)]


def latest_with_prefix(session: Session, prefix: str) -> Message | None:
    """The newest message whose key starts with `prefix` (e.g. the last digest recorded)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(outbox).where(outbox.c.key.like(escaped + "%", escape="\\")).order_by(outbox.c.id.desc())
    row = session.execute(query.limit(1)).first()
    return None if row is None else _message(row)


def by_key(session: Session, key: str) -> Message | None:
    row = session.execute(select(outbox).where(outbox.c.key == key)).first()
    return None if row is None else _message(row)


def _due(now: datetime) -> Any:
    """Pending, its time come, in no relay's hands (or the claim lapsed), and nothing older still pending
    in its thread: a thread's messages go out in the order they were recorded."""
    earlier = aliased(outbox)
    waiting_behind = exists().where(
        and_(
            earlier.c.thread == outbox.c.thread,
            earlier.c.status == Status.PENDING,
            earlier.c.id < outbox.c.id,
        )
    )
    unclaimed = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now)
    pending = and_(outbox.c.status == Status.PENDING, outbox.c.next_attempt_at <= now)
    return and_(pending, unclaimed, ~waiting_behind)


def due(session: Session, now: datetime, limit: int = 50) -> list[Message]:
    """Messages due now (`_due`), oldest first."""
    query = select(outbox).where(_due(now)).order_by(outbox.c.id).limit(limit)
    return [_message(row) for row in session.execute(query)]


def claim(session: Session, now: datetime, *, holder: str, until: datetime, limit: int = 50) -> list[Message]:
    """Take up to `limit` due messages for `holder`'s relay until `until`, oldest first.

    As the inbox's claim: FOR UPDATE SKIP LOCKED on PostgreSQL (only the outbox rows themselves are
    locked, not those the thread-order check reads), the write lock on SQLite. Once claimed, a message
    is not due for another relay, and neither is anything after it in its thread (it is still pending)."""
    found = session.execute(
        select(outbox.c.id, outbox.c.claimed_by)
        .where(_due(now))
        .order_by(outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=outbox)
    ).all()
    if not found:
        return []
    ids = [row.id for row in found]
    lapsed = {row.id for row in found if row.claimed_by is not None}  # settling clears a claim
    session.execute(update(outbox).where(outbox.c.id.in_(ids)).values(claimed_by=holder, claimed_until=until))
    query = select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)
    return [replace(_message(row), taken_over=row.id in lapsed) for row in session.execute(query)]


def claim_holders(session: Session) -> set[str]:
    """Who holds claims on messages still pending."""
    query = select(outbox.c.claimed_by).where(
        outbox.c.claimed_by.is_not(None), outbox.c.status == Status.PENDING
    )
    return {str(holder) for holder in session.execute(query.distinct()).scalars()}


def release_holder(session: Session, holder: str) -> None:
    session.execute(
        update(outbox)
        .where(outbox.c.claimed_by == holder, outbox.c.status == Status.PENDING)
        .values(**_UNCLAIMED)
    )


def release(session: Session, ids: Sequence[int], holder: str) -> None:
    """Unclaim `holder`'s messages among `ids` that are still pending (the relay stopped before them)."""
    session.execute(
        update(outbox)
        .where(outbox.c.id.in_(list(ids)), outbox.c.claimed_by == holder, outbox.c.status == Status.PENDING)
        .values(claimed_by=None, claimed_until=None)
    )


def mark_sent(session: Session, message_id: int, result: dict[str, Any], at: datetime) -> None:
    session.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(status=Status.SENT, attempts=outbox.c.attempts + 1, sent_at=at, result=result, **_UNCLAIMED)
    )


def mark_retry(session: Session, message_id: int, error: str, at: datetime) -> None:
    session.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(attempts=outbox.c.attempts + 1, last_error=error[:2000], next_attempt_at=at, **_UNCLAIMED)
    )


def mark_failed(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(status=Status.FAILED, attempts=outbox.c.attempts + 1, last_error=error[:2000], **_UNCLAIMED)
    )


def requeue(session: Session, ids: Sequence[int] | None, at: datetime) -> list[int]:
    """Failed messages (those of `ids`, or all) pending again from `at`, with their tries counted afresh;
    returns the ids requeued."""
    query = select(outbox.c.id).where(outbox.c.status == Status.FAILED)
    if ids is not None:
        query = query.where(outbox.c.id.in_(list(ids)))
    chosen = [int(i) for i in session.execute(query.order_by(outbox.c.id)).scalars()]
    if chosen:
        session.execute(
            update(outbox)
            .where(outbox.c.id.in_(chosen))
            .values(status=Status.PENDING, attempts=0, next_attempt_at=at, **_UNCLAIMED)
        )
    return chosen


def listed(session: Session, status: Status | None, limit: int) -> list[Message]:
    """The newest messages first (of one status, or any)."""
    query = select(outbox)
    if status is not None:
        query = query.where(outbox.c.status == status)
    return [_message(row) for row in session.execute(query.order_by(outbox.c.id.desc()).limit(limit))]


def counts(session: Session) -> dict[Status, int]:
    rows = session.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
    found = {Status(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in Status}


def by_ids(session: Session, ids: Sequence[int]) -> list[Message]:
    return [_message(row) for row in session.execute(select(outbox).where(outbox.c.id.in_(list(ids))))]


def _message(row: Row[Any]) -> Message:
    return Message(
        id=row.id,
        key=row.key,
        thread=row.thread,
        method=row.method,
        payload=row.payload,
        status=Status(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        result=row.result,
        claimed_until=row.claimed_until,
    )
