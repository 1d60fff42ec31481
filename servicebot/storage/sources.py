"""Where tickets came from (one ticket per source message, enforced by a unique key) and where a front end
has shown them (its cards and threads), so a replayed request neither logs nor posts twice."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicebot.storage.tables import ticket_messages, ticket_sources


def ticket_for_source(session: Session, source_key: str) -> int | None:
    found = session.execute(
        select(ticket_sources.c.ticket_id).where(ticket_sources.c.source_key == source_key)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def link_source(session: Session, source_key: str, ticket_id: int) -> bool:
    """False when the source already has a ticket (a concurrent duplicate lost the race)."""
    try:
        with session.begin_nested():
            session.execute(insert(ticket_sources).values(source_key=source_key, ticket_id=ticket_id))
    except IntegrityError:
        return False
    return True


def add_ticket_message(session: Session, ticket_id: int, channel: str, ts: str, purpose: str) -> None:
    existing = session.execute(
        select(ticket_messages.c.ticket_id).where(
            ticket_messages.c.channel == channel, ticket_messages.c.ts == ts
        )
    ).first()
    if existing is None:
        session.execute(
            insert(ticket_messages).values(channel=channel, ts=ts, ticket_id=ticket_id, purpose=purpose)
        )


def ticket_messages_of(session: Session, ticket_id: int) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(ticket_messages.c.channel, ticket_messages.c.ts, ticket_messages.c.purpose)
        .where(ticket_messages.c.ticket_id == ticket_id)
        .order_by(ticket_messages.c.purpose, ticket_messages.c.ts)
    ).all()
    return [(r.channel, r.ts, r.purpose) for r in rows]


def ticket_for_message(session: Session, channel: str, ts: str) -> int | None:
    found = session.execute(
        select(ticket_messages.c.ticket_id).where(
            ticket_messages.c.channel == channel, ticket_messages.c.ts == ts
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def tickets_for_sources(session: Session, source_keys: list[str]) -> dict[str, int]:
    """The tickets these sources already have, in chunks (a long IN list is refused by some drivers)."""
    found: dict[str, int] = {}
    for start in range(0, len(source_keys), 500):
        chunk = source_keys[start : start + 500]
        rows = session.execute(
            select(ticket_sources.c.source_key, ticket_sources.c.ticket_id).where(
                ticket_sources.c.source_key.in_(chunk)
            )
        )
        found.update({key: int(ticket_id) for key, ticket_id in rows})
    return found


def bulk_link_sources(session: Session, links: list[dict[str, object]]) -> None:
    """For loaders: {source_key, ticket_id} rows for tickets inserted in the same transaction."""
    if links:
        session.execute(insert(ticket_sources), links)
