"""Triage that learns: what the desk teaches is stored, and the engine retrains without a restart.

Teaching happens three ways: importing historical tickets (`text,label` CSV), an agent's "Change intent",
and a pick from the low-confidence question. Each is a stored labelled example with who and when, listed
for audit and undone by a revocation (never by deleting). The engine checks the database for new
examples every few seconds (and at once after a correction in this process), takes corrections into its
memory immediately, and retrains its classifier in the background, swapping the new model in when ready.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from intents.catalogue import OUT_OF_SCOPE, Catalogue
from servicebot.config import Settings
from servicebot.domain.clock import Clock
from servicebot.domain.triage import Triage
from servicebot.storage import training as store
from servicebot.storage.db import Database
from servicebot.triage.engine import Labelled, TriageModel
from servicebot.triage.features import prepare
from servicebot.triage.labelled import LabelledSet, read_labelled_csv
from servicebot.triage.model_store import SharedModels

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    batch: str
    added: int = 0
    already_known: int = 0
    problems: list[str] = field(default_factory=list)


class TrainingData:
    """The labelled examples beyond the catalogue: import, record, list, revoke."""

    def __init__(self, db: Database, catalogue: Catalogue, clock: Clock) -> None:
        self.db = db
        self.catalogue = catalogue
        self.clock = clock
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    def learned_unless(self, seen: tuple[int, int] | None) -> tuple[tuple[int, int], list[Labelled] | None]:
        """The generation token and, unless it is still `seen`, the active examples: one read snapshot, so
        the examples are exactly those the token stands for."""
        with self.db.read() as session:
            token = store.generation(session)
            if token == seen:
                return token, None
            rows = store.list_examples(session, active_only=True)
        return token, [Labelled(r.text, r.label, r.source) for r in rows]

    def record(
        self,
        session: Session,
        *,
        ticket_id: int,
        text: str,
        desk: str,
        label: str,
        previous: str | None,
        actor: str,
        source: str,
        at: datetime,
    ) -> None:
        """Inside the ticket's own transaction: the label and the ticket change commit together. An earlier
        label for the same ticket is superseded, so a ticket teaches one thing, its latest."""
        store.revoke(session, store.active_for_ticket(session, ticket_id), actor, at, "superseded")
        store.add_examples(
            session,
            [
                store.NewExample(
                    text=text,
                    label=label,
                    desk=desk,
                    source=source,
                    previous=previous,
                    ticket_id=ticket_id,
                    created_by=actor,
                    created_at=at,
                )
            ],
        )

    def import_csv(self, path: Path, actor: str) -> ImportReport:
        data = read_labelled_csv(path)
        return self.import_examples(data, actor, name=path.name)

    def import_examples(self, data: LabelledSet, actor: str, name: str) -> ImportReport:
        """Rows whose label is neither an intent nor `out_of_scope` are reported; the rest are stored in
        one transaction (all or none)."""
        now = self.clock()
        report = ImportReport(
            batch=f"{name} @ {now.strftime('%Y-%m-%dT%H:%M:%SZ')}", problems=list(data.problems)
        )
        with self.db.transaction() as session:
            known = {
                (prepare(e.text), e.label)
                for e in store.list_examples(session, active_only=True, sources=("import",))
            }
            fresh: list[store.NewExample] = []
            for example in data.examples:
                intent = self.catalogue.get(example.label)
                if intent is None and example.label != OUT_OF_SCOPE:
                    report.problems.append(
                        f"{name}: row {example.row}: label {example.label!r} is neither an intent in the "
                        f"catalogue nor {OUT_OF_SCOPE}"
                    )
                    continue
                key = (prepare(example.text), example.label)
                if key in known:
                    report.already_known += 1
                    continue
                known.add(key)
                fresh.append(
                    store.NewExample(
                        text=example.text,
                        label=example.label,
                        desk=intent.desk if intent else "",
                        source="import",
                        batch=report.batch,
                        created_by=actor,
                        created_at=now,
                    )
                )
            report.added = store.add_examples(session, fresh)
        if report.added:
            self.changed()
        return report

    def taught(self, *, include_imports: bool = False, limit: int = 50) -> list[store.StoredExample]:
        sources = store.SOURCES if include_imports else ("correction", "pick")
        with self.db.read() as session:
            return store.list_examples(session, sources=sources, limit=limit, newest_first=True)

    def revoke(self, ids: Sequence[int], actor: str, reason: str) -> list[int]:
        with self.db.transaction() as session:
            done = store.revoke(session, ids, actor, self.clock(), reason)
        if done:
            self.changed()
        return done

    def batch_ids(self, batch: str) -> list[int]:
        """Every example an import stored, revoked or not; none when there is no such batch."""
        with self.db.read() as session:
            return store.ids_of_batch(session, batch)

    def revoke_batch(self, batch: str, actor: str, reason: str) -> list[int]:
        return self.revoke(self.batch_ids(batch), actor, reason)


class LearningTriage:
    """The engine the bot runs (`classify`), always the newest model the desk's teaching allows."""

    def __init__(
        self,
        data: TrainingData,
        settings: Settings,
        *,
        check_every: float = 2.0,
        background: bool = True,
        retrain_after: float = 5.0,
    ) -> None:
        self.data = data
        self.settings = settings
        self.check_every = check_every
        self.background = background
        self.retrain_after = retrain_after
        self._hurry = threading.Event()
        self._closing = False
        self._lock = threading.Lock()
        self._model: TriageModel | None = None
        self._token: tuple[int, int] | None = None
        self._learned: list[Labelled] = []
        self._next_check = 0.0
        self._retraining: threading.Thread | None = None
        self._cache_dir = Path(settings.model_cache_dir) if settings.model_cache_dir else None
        # Replicas train each model once between them and load it from the database.
        self._shared = SharedModels(data.db, data.clock)
        data.on_change(self.invalidate)

    def classify(self, text: str, desk: str | None = None) -> Triage:
        return self.model().classify(text, desk)

    def model(self) -> TriageModel:
        if self._model is None or time.monotonic() >= self._next_check:
            self._refresh()
        assert self._model is not None
        return self._model

    def invalidate(self) -> None:
        """Something was taught in this process: look at the database on the next call, not later."""
        self._next_check = 0.0

    def wait_until_trained(self, timeout: float = 120.0) -> bool:
        """Retrain now if a retrain is pending, and block until it is done (tests, benchmarks)."""
        self.model()
        thread = self._retraining
        if thread is not None:
            self._hurry.set()
            thread.join(timeout)
            self._hurry.clear()
        return self._retraining is None

    def close(self) -> None:
        """A retrain not yet started is dropped (the next start trains from the database anyway)."""
        self._closing = True
        self._shared.close()
        self._hurry.set()
        thread = self._retraining
        if thread is not None:
            thread.join()

    def _refresh(self) -> None:
        with self._lock:
            self._next_check = time.monotonic() + self.check_every
            token, learned = self.data.learned_unless(self._token if self._model is not None else None)
            if learned is None:
                return
            self._token, self._learned = token, learned
            if self._model is None or not self.background:
                self._model = self._train(learned)
                return
            self._model = self._model.with_memory(learned)
            if self._retraining is None:
                self._retraining = threading.Thread(target=self._retrain, name="triage-retrain", daemon=True)
                self._retraining.start()

    def _train(self, learned: list[Labelled]) -> TriageModel:
        return TriageModel.train(
            self.data.catalogue, self.settings.desks, learned, self._cache_dir, self._shared
        )

    def _retrain(self) -> None:
        while True:
            # Corrections come in bursts (a desk working through a backlog): one retrain per few seconds,
            # not one per click. Memory has already made each correction count.
            self._hurry.wait(self.retrain_after)
            with self._lock:
                if self._closing:
                    self._retraining = None
                    return
                token, learned = self._token, self._learned
            started = time.perf_counter()
            try:
                model = self._train(learned)
            except Exception:
                log.exception("triage retraining failed; the previous model stays in use")
                with self._lock:
                    self._retraining = None
                return
            with self._lock:
                if token == self._token:
                    # Finishing and clearing the flag under one lock: a refresh in between would otherwise
                    # see a retrainer that is about to stop and start none.
                    self._model, self._retraining = model, None
                    log.info(
                        "triage retrained on %d examples in %.1f s",
                        model.classifier.examples,
                        time.perf_counter() - started,
                    )
                    return
                # More was taught while training: serve this model with the newest memory, train again.
                self._model = model.with_memory(self._learned)
