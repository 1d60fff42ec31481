"""Inbound requests recorded before they are acknowledged: the dedupe for retries, and a record of work
that a crash interrupted (replayed at start by whoever owns the request kind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from servicebot.services.tickets import Clock
from servicebot.storage import repository as repo
from servicebot.storage.db import Database

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class PendingRequest:
    key: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def accept(self, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """True the first time a key is seen; False for a retry or duplicate delivery."""
        with self.db.transaction() as session:
            return repo.accept_inbound(session, key, kind, payload, self.clock())

    def done(self, key: str) -> None:
        with self.db.transaction() as session:
            repo.mark_inbound(session, key, self.clock())

    def failed(self, key: str, error: str) -> None:
        with self.db.transaction() as session:
            repo.mark_inbound(session, key, self.clock(), error=error[:2000])

    def pending(self, older_than: timedelta = timedelta(seconds=30)) -> list[PendingRequest]:
        with self.db.transaction() as session:
            rows = repo.pending_inbound(session, self.clock() - older_than, MAX_ATTEMPTS)
        return [PendingRequest(r.key, r.kind, dict(r.payload), r.received_at, r.attempts) for r in rows]
