"""Keeping the contact-facts projection whole: rebuilt from the events on request, and filled in for a
database whose tickets predate it (an upgrade from before migration 0003)."""

from __future__ import annotations

from dataclasses import dataclass

from servicebot.config import Settings
from servicebot.storage import facts as facts_rows
from servicebot.storage.db import Database
from servicebot.storage.facts import FactsProjection


@dataclass(frozen=True)
class Rebuilt:
    tickets: int
    seconds: float


class FactsService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.projection = FactsProjection(settings.calendar())

    def rebuild(self) -> int:
        """Every ticket's row again from its events, in one transaction: readers see the old rows or the
        new ones, never a half-built table."""
        with self.db.transaction() as session:
            return self.projection.rebuild(session)

    def fill_missing(self) -> int:
        """Rebuild if any ticket has no row (0 when the projection is whole, which is the usual case)."""
        with self.db.read() as session:
            missing = facts_rows.missing_count(session)
        return self.rebuild() if missing else 0
