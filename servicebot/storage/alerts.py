"""Breach alert episodes (`domain/alerts.py`): one row per episode, its state as it is now, and the
append-only events that made it so (who acknowledged, when it was snoozed, escalated, closed).

Every change is a compare-and-set on the episode's version: two evaluations at once (two replicas, a
command run beside the bot) cannot both send the same reminder; the one that loses changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from servicebot.domain.alerts import Episode, State
from servicebot.storage.tables import alert_episodes, alert_events


@dataclass(frozen=True)
class Recipient:
    """Who an episode's first alert went to, and the outbox key of that message: replies about the
    episode (improved, acknowledged, recovered) go into its thread."""

    to: str
    key: str
    lead: bool = False


@dataclass(frozen=True)
class EpisodeRecord:
    episode: Episode
    desk: str
    version: int
    recipients: tuple[Recipient, ...] = ()
    acknowledged_at: datetime | None = None
    snoozed_by: str | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None


@dataclass(frozen=True)
class AlertEvent:
    episode_id: int
    kind: str
    at: datetime
    by: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def open_episodes(session: Session) -> list[EpisodeRecord]:
    query = select(alert_episodes).where(alert_episodes.c.closed_at.is_(None)).order_by(alert_episodes.c.id)
    return [_record(row) for row in session.execute(query)]


def episode(session: Session, episode_id: int) -> EpisodeRecord | None:
    row = session.execute(select(alert_episodes).where(alert_episodes.c.id == episode_id)).first()
    return None if row is None else _record(row)


def listed(session: Session, *, open_only: bool, limit: int) -> list[EpisodeRecord]:
    query = select(alert_episodes)
    if open_only:
        query = query.where(alert_episodes.c.closed_at.is_(None))
    return [_record(row) for row in session.execute(query.order_by(alert_episodes.c.id.desc()).limit(limit))]


def events_of(session: Session, episode_ids: Sequence[int]) -> dict[int, list[AlertEvent]]:
    found: dict[int, list[AlertEvent]] = {i: [] for i in episode_ids}
    query = (
        select(alert_events)
        .where(alert_events.c.episode_id.in_(list(episode_ids)))
        .order_by(alert_events.c.id)
    )
    for row in session.execute(query):
        found[row.episode_id].append(AlertEvent(row.episode_id, row.kind, row.at, row.by, row.detail or {}))
    return found


def insert_episode(
    session: Session,
    *,
    ref: str,
    desk: str,
    period: str | None,
    state: State,
    fingerprint: str,
    urgent: bool,
    opened_at: datetime,
) -> int:
    """A new open episode. The partial unique index on open episodes' refs refuses a second open one for
    the same KPI (IntegrityError): another evaluation got there first."""
    inserted = session.execute(
        insert(alert_episodes)
        .values(
            ref=ref,
            desk=desk,
            period=period,
            state=state.value,
            fingerprint=fingerprint,
            urgent=urgent,
            opened_at=opened_at,
            version=1,
            sends=0,
            recipients=[],
        )
        .returning(alert_episodes.c.id)
    )
    return int(inserted.scalar_one())


def change(session: Session, record: EpisodeRecord, **values: Any) -> bool:
    """Set `values` on the episode if it is still as `record` read it; False if something else changed it
    since (then nothing is changed here, and the caller sends nothing)."""
    if "recipients" in values:
        values["recipients"] = [{"to": r.to, "key": r.key, "lead": r.lead} for r in values["recipients"]]
    if "state" in values:
        values["state"] = State(values["state"]).value
    result = session.connection().execute(
        update(alert_episodes)
        .where(alert_episodes.c.id == record.episode.id, alert_episodes.c.version == record.version)
        .values(version=record.version + 1, **values)
    )
    return bool(result.rowcount == 1)


def add_event(session: Session, event: AlertEvent) -> None:
    session.execute(
        insert(alert_events).values(
            episode_id=event.episode_id,
            kind=event.kind,
            at=event.at,
            by=event.by,
            detail=event.detail or None,
        )
    )


def _record(row: Row[Any]) -> EpisodeRecord:
    return EpisodeRecord(
        episode=Episode(
            id=row.id,
            ref=row.ref,
            period=row.period,
            state=State(row.state),
            opened_at=row.opened_at,
            urgent=bool(row.urgent),
            sends=row.sends,
            last_sent_at=row.last_sent_at,
            acknowledged_by=row.acknowledged_by,
            snoozed_until=row.snoozed_until,
            escalated_at=row.escalated_at,
        ),
        desk=row.desk,
        version=row.version,
        recipients=tuple(
            Recipient(str(r["to"]), str(r["key"]), bool(r.get("lead"))) for r in (row.recipients or [])
        ),
        acknowledged_at=row.acknowledged_at,
        snoozed_by=row.snoozed_by,
        closed_at=row.closed_at,
        close_reason=row.close_reason,
    )
