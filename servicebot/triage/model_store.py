"""Trained classifiers on disk and in the database, so a restart, a CLI call or another replica loads in
milliseconds what took seconds to train.

Files are named by a digest of the training examples and the training code's settings, so a file is
either exactly the classifier those examples make or absent; there is nothing to invalidate. Arrays and
strings only (`.npz` without pickle): a cache file can be wrong at worst, never executable.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from servicebot.domain.clock import Clock
from servicebot.storage import models
from servicebot.storage.db import Database, NestedTransaction
from servicebot.triage.classifier import Calibration, TextClassifier, TrainingError, fit, training_key
from servicebot.triage.features import ANALYZERS, Block

log = logging.getLogger(__name__)


def path_for(directory: Path, key: str) -> Path:
    return directory / f"triage-{key}.npz"


def _arrays(classifier: TextClassifier) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {
        "labels": np.asarray(classifier.labels, dtype=str),
        "weights": classifier.weights,
        "bias": classifier.bias,
        "meta": np.asarray(
            [
                classifier.calibration.slope,
                classifier.calibration.intercept,
                classifier.examples,
                classifier.held_out_accuracy,
            ],
            dtype=np.float64,
        ),
    }
    for k, block in enumerate(classifier.blocks):
        terms = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
        arrays[f"terms{k}"] = np.asarray(terms, dtype=str)
        arrays[f"idf{k}"] = block.idf
    return arrays


def to_bytes(classifier: TextClassifier) -> bytes:
    out = io.BytesIO()
    np.savez(out, allow_pickle=False, **_arrays(classifier))
    return out.getvalue()


def save(classifier: TextClassifier, path: Path) -> None:
    """Written to a temporary file and renamed: a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, allow_pickle=False, **_arrays(classifier))
        os.replace(temporary, path)
    except OSError as exc:
        # A cache that cannot be written costs the next start a retrain, nothing more.
        log.warning("could not cache the triage model at %s: %s", path, exc)


def from_bytes(data: bytes, where: str) -> TextClassifier | None:
    """The classifier in `data` (as `to_bytes` wrote it), or None if it cannot be read."""
    try:
        return _read(io.BytesIO(data))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.warning("ignoring an unreadable triage model in %s: %s", where, exc)
        return None


def load(path: Path) -> TextClassifier | None:
    try:
        return _read(path)
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.warning("ignoring an unreadable triage model cache %s: %s", path, exc)
        return None


def _read(source: Path | io.BytesIO) -> TextClassifier:
    with np.load(source, allow_pickle=False) as data:
        slope, intercept, examples, accuracy = (float(v) for v in data["meta"])
        blocks = [
            Block(
                analyzer,
                {str(term): i for i, term in enumerate(data[f"terms{k}"])},
                np.asarray(data[f"idf{k}"]),
            )
            for k, analyzer in enumerate(ANALYZERS)
        ]
        return TextClassifier(
            labels=[str(label) for label in data["labels"]],
            blocks=blocks,
            weights=np.ascontiguousarray(data["weights"]),
            bias=np.asarray(data["bias"]),
            calibration=Calibration(slope, intercept),
            examples=int(examples),
            held_out_accuracy=accuracy,
        )


_trained: OrderedDict[str, TextClassifier] = OrderedDict()
_trained_lock = threading.Lock()
_KEEP_TRAINED = 4


class Shared(Protocol):
    """Classifiers shared by replicas through the database (`SharedModels`)."""

    def fetch_or_train(self, key: str, fit: Callable[[], TextClassifier]) -> TextClassifier: ...


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    cache_dir: Path | None = None,
    threads: int | None = None,
    shared: Shared | None = None,
) -> TextClassifier:
    """`classifier.fit`, remembered. Training is deterministic, so a classifier for examples already trained
    is reused: from this process's memo (the worker, the console and every test build services from the
    same catalogue), from `cache_dir` (a restart, a CLI call), or from `shared` (trained by another
    replica, or trained here once for all of them). Each can only skip repeating work, never change an
    answer.
    """
    if len(texts) != len(labels):
        raise TrainingError(f"{len(texts)} texts but {len(labels)} labels")
    key = training_key(texts, labels)
    with _trained_lock:
        if key in _trained:
            _trained.move_to_end(key)
            return _trained[key]
    stored = path_for(cache_dir, key) if cache_dir is not None else None
    classifier = load(stored) if stored is not None else None
    if classifier is None:

        def fit_here() -> TextClassifier:
            return fit(texts, labels, threads=threads)

        classifier = fit_here() if shared is None else shared.fetch_or_train(key, fit_here)
        if stored is not None:
            save(classifier, stored)
    with _trained_lock:
        _trained[key] = classifier
        while len(_trained) > _KEEP_TRAINED:
            _trained.popitem(last=False)
    return classifier


class SharedModels:
    """Classifiers in the database, so that replicas train each one once: the first to claim a key trains
    it and stores it; the others wait for it and load it (a few megabytes, in milliseconds). A claim whose
    holder died lapses after `claim_for`, and the next to ask trains it. Any trouble with the database
    costs a training here, never an answer."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        claim_for: timedelta = timedelta(minutes=10),
        poll_seconds: float = 0.5,
        keep: int = 5,
    ) -> None:
        self.db = db
        self.clock = clock
        self.claim_for = claim_for
        self.poll_seconds = poll_seconds
        self.keep = keep
        self.holder = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._closed = threading.Event()

    def close(self) -> None:
        """Stop waiting for another replica's training (this process is stopping)."""
        self._closed.set()

    def fetch_or_train(self, key: str, fit: Callable[[], TextClassifier]) -> TextClassifier:
        waited_since = time.monotonic()
        try:
            while True:
                with self.db.read() as session:
                    data = models.content(session, key)
                if data is not None:
                    found = from_bytes(data, f"the database ({key})")
                    return found if found is not None else fit()
                now = self.clock()
                with self.db.transaction() as session:
                    mine = models.claim(session, key, self.holder, now, now + self.claim_for)
                if mine:
                    break
                if time.monotonic() - waited_since > self.claim_for.total_seconds():
                    log.warning("triage model %s: its trainer is taking too long; training it here", key)
                    return fit()
                if self._closed.wait(self.poll_seconds):  # meanwhile another replica is training it
                    raise TrainingError("stopped while waiting for another replica to train the model")
        except (SQLAlchemyError, NestedTransaction) as exc:
            log.warning("triage models cannot be shared now (%s); training here", exc)
            return fit()
        classifier = fit()
        try:
            with self.db.transaction() as session:
                models.store(session, key, to_bytes(classifier), self.clock(), self.keep)
        except (SQLAlchemyError, NestedTransaction) as exc:
            log.warning("could not share the triage model %s (%s); the others will train it", key, exc)
        return classifier
