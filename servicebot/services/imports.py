"""`servicebot import calls|outages|tickets|values FILE [--dry-run]`: one transaction per file.

Every row is checked first (`servicebot.imports`); the problems are reported by row, field and reason and
not written; the valid rows are written together or not at all. Each kind writes on its natural key, so
importing the same file again changes nothing, and a corrected file updates the rows it corrects.
`--dry-run` does the same work inside a transaction that is rolled back, so its counts are the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from intents.catalogue import Catalogue
from servicebot.config import Settings
from servicebot.domain.clock import Clock
from servicebot.domain.errors import InvalidInput
from servicebot.domain.kpis import KpiDefinition
from servicebot.imports.csvfile import Parsed, RowProblem, read_text
from servicebot.services.actors import OPERATOR, Actor, Permission, require
from servicebot.storage.db import Database


@dataclass(frozen=True)
class Written:
    """What writing the valid rows did, by natural key."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class ImportContext:
    """What rows are checked against: the configuration, and what the database already defines."""

    settings: Settings
    catalogue: Catalogue
    # The KPIs by ref, for importers that check a row against its KPI (unit, frequency, precision).
    kpi_definitions: Mapping[str, KpiDefinition] = field(default_factory=dict)
    # When the import runs: a ticket cannot have been logged after it.
    now: datetime | None = None


@dataclass(frozen=True)
class Importer:
    """One kind of file: how to read it (rows to records, problems named) and how to write the records.
    `parse(content, name, context)`; `write(session, records, batch, context)`."""

    kind: str
    columns: str  # the header, as help and error messages show it
    parse: Callable[[str, str, ImportContext], Parsed[Any]]
    write: Callable[[Session, list[Any], str, ImportContext], Written]


@dataclass(frozen=True)
class ImportReport:
    kind: str
    name: str
    rows: int
    problems: tuple[RowProblem, ...]
    written: Written
    dry_run: bool

    @property
    def valid(self) -> int:
        return self.rows - len(self.problems)

    def lines(self, max_problems: int = 50) -> list[str]:
        verb = "would write" if self.dry_run else "wrote"
        w = self.written
        lines = [
            f"{self.name}: {self.rows:,} rows read, {self.valid:,} valid, {len(self.problems):,} rejected; "
            f"{verb} {w.new:,} new, {w.updated:,} updated, {w.unchanged:,} unchanged"
            + (" (dry run: nothing was written)" if self.dry_run else "")
        ]
        lines += [f"  {problem}" for problem in self.problems[:max_problems]]
        if len(self.problems) > max_problems:
            lines.append(f"  … and {len(self.problems) - max_problems:,} more rejected rows")
        return lines


class _RollBack(Exception):
    """Raised inside a dry run's transaction so that everything it wrote is undone."""


class ImportService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        catalogue: Catalogue,
        importers: list[Importer],
        kpi_definitions: Callable[[Session], Mapping[str, KpiDefinition]] = lambda _session: {},
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.catalogue = catalogue
        self.importers = {importer.kind: importer for importer in importers}
        self._kpi_definitions = kpi_definitions

    def run(self, kind: str, path: Path, *, dry_run: bool = False, actor: Actor = OPERATOR) -> ImportReport:
        """An admin's (the command line's operator is one): imports change figures on every desk."""
        require(actor, Permission.IMPORT_DATA)
        importer = self.importers.get(kind)
        if importer is None:
            raise InvalidInput(f"nothing imports {kind!r}; choose one of {', '.join(sorted(self.importers))}")
        name = str(path)
        content = read_text(path, name)
        with self.db.read() as session:
            definitions = self._kpi_definitions(session)
            context = ImportContext(self.settings, self.catalogue, definitions, self.clock())
        parsed = importer.parse(content, name, context)
        records = [record for _, record in parsed.records]
        batch = f"{path.name} {self.clock():%Y-%m-%dT%H:%M:%SZ}"
        written = Written()
        try:
            with self.db.transaction() as session:
                written = importer.write(session, records, batch, context)
                if dry_run:
                    raise _RollBack
        except _RollBack:
            pass
        return ImportReport(kind, name, parsed.rows, tuple(parsed.problems), written, dry_run)
