"""Storage of labelled examples (what triage learns from beyond the catalogue) and their revocations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from servicebot.storage.tables import labelled_examples, labelled_revocations

SOURCES = ("import", "correction", "pick")


@dataclass(frozen=True)
class NewExample:
    text: str
    label: str
    desk: str
    source: str
    created_by: str
    created_at: datetime
    previous: str | None = None
    ticket_id: int | None = None
    batch: str | None = None


@dataclass(frozen=True)
class StoredExample:
    id: int
    text: str
    label: str
    desk: str
    source: str
    previous: str | None
    ticket_id: int | None
    batch: str | None
    created_by: str
    created_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def add_examples(session: Session, examples: Sequence[NewExample]) -> int:
    if examples:
        session.execute(
            insert(labelled_examples),
            [
                {
                    "text": e.text,
                    "label": e.label,
                    "desk": e.desk,
                    "source": e.source,
                    "previous": e.previous,
                    "ticket_id": e.ticket_id,
                    "batch": e.batch,
                    "created_by": e.created_by,
                    "created_at": e.created_at,
                }
                for e in examples
            ],
        )
    return len(examples)


def revoke(session: Session, ids: Iterable[int], by: str, at: datetime, reason: str) -> list[int]:
    """Revoke the given examples; returns the ids newly revoked (unknown or already revoked are skipped)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    known = set(session.scalars(select(labelled_examples.c.id).where(labelled_examples.c.id.in_(wanted))))
    done = set(
        session.scalars(
            select(labelled_revocations.c.example_id).where(labelled_revocations.c.example_id.in_(wanted))
        )
    )
    fresh = [i for i in wanted if i in known and i not in done]
    if fresh:
        session.execute(
            insert(labelled_revocations),
            [{"example_id": i, "revoked_by": by, "revoked_at": at, "reason": reason[:200]} for i in fresh],
        )
    return fresh


def active_for_ticket(session: Session, ticket_id: int) -> list[int]:
    query = (
        select(labelled_examples.c.id)
        .outerjoin(labelled_revocations, labelled_revocations.c.example_id == labelled_examples.c.id)
        .where(labelled_examples.c.ticket_id == ticket_id, labelled_revocations.c.example_id.is_(None))
    )
    return list(session.scalars(query))


def ids_of_batch(session: Session, batch: str) -> list[int]:
    return list(session.scalars(select(labelled_examples.c.id).where(labelled_examples.c.batch == batch)))


def generation(session: Session) -> tuple[int, int]:
    """Changes whenever an example is added or revoked: (newest example id, number of revocations)."""
    newest = session.scalar(select(func.coalesce(func.max(labelled_examples.c.id), 0)))
    revoked = session.scalar(select(func.count()).select_from(labelled_revocations))
    return int(newest or 0), int(revoked or 0)


def list_examples(
    session: Session,
    *,
    sources: Sequence[str] = SOURCES,
    active_only: bool = False,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[StoredExample]:
    e, r = labelled_examples, labelled_revocations
    query = (
        select(e, r.c.revoked_by, r.c.revoked_at, r.c.reason)
        .outerjoin(r, r.c.example_id == e.c.id)
        .where(e.c.source.in_(list(sources)))
        .order_by(e.c.id.desc() if newest_first else e.c.id)
    )
    if active_only:
        query = query.where(r.c.example_id.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return [
        StoredExample(
            id=row.id,
            text=row.text,
            label=row.label,
            desk=row.desk,
            source=row.source,
            previous=row.previous,
            ticket_id=row.ticket_id,
            batch=row.batch,
            created_by=row.created_by,
            created_at=row.created_at,
            revoked_by=row.revoked_by,
            revoked_at=row.revoked_at,
            revoke_reason=row.reason,
        )
        for row in session.execute(query)
    ]
