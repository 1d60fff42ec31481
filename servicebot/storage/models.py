"""Trained triage classifiers shared by replicas (`triage_models`): one claims a key and trains, the others
read what it stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from servicebot.storage.tables import triage_models


def content(session: Session, key: str) -> bytes | None:
    row = session.execute(select(triage_models.c.content).where(triage_models.c.key == key)).first()
    return None if row is None or row.content is None else bytes(row.content)


def claim(session: Session, key: str, holder: str, now: datetime, until: datetime) -> bool:
    """Claim the training of `key` unless it is trained or another's claim on it holds."""
    c = triage_models.c
    taken = session.connection().execute(
        update(triage_models)
        .where(c.key == key, c.content.is_(None), or_(c.claimed_until.is_(None), c.claimed_until <= now))
        .values(claimed_by=holder, claimed_until=until)
    )
    if taken.rowcount == 1:
        return True
    row = {"key": key, "claimed_by": holder, "claimed_until": until}
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(triage_models).values(**row)
    # RETURNING says whether the row went in: psycopg reports no row count for a Core INSERT here.
    inserted = session.execute(statement.on_conflict_do_nothing(index_elements=["key"]).returning(c.key))
    return inserted.first() is not None


def store(session: Session, key: str, data: bytes, at: datetime, keep: int) -> None:
    """Store the trained classifier of `key`, and keep only the newest `keep` (each is megabytes, and
    every burst of teaching makes a new one)."""
    c = triage_models.c
    session.execute(update(triage_models).where(c.key == key).values(content=data, trained_at=at))
    if session.execute(select(c.key).where(c.key == key)).first() is None:
        session.execute(insert(triage_models).values(key=key, content=data, trained_at=at))
    newest = select(c.key).where(c.content.is_not(None)).order_by(c.trained_at.desc(), c.key).limit(keep)
    session.execute(delete(triage_models).where(c.content.is_not(None), c.key.not_in(newest)))
