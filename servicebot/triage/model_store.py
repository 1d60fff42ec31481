"""Trained classifiers on disk, so a restart or a CLI call loads in milliseconds what took seconds to train.

Files are named by a digest of the training examples and the training code's settings, so a file is
either exactly the classifier those examples make or absent; there is nothing to invalidate. Arrays and
strings only (`.npz` without pickle): a cache file can be wrong at worst, never executable.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from servicebot.triage.classifier import Calibration, TextClassifier, TrainingError, fit, training_key
from servicebot.triage.features import ANALYZERS, Block

log = logging.getLogger(__name__)


def path_for(directory: Path, key: str) -> Path:
    return directory / f"triage-{key}.npz"


def save(classifier: TextClassifier, path: Path) -> None:
    """Written to a temporary file and renamed: a reader never sees half a file."""
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, allow_pickle=False, **arrays)
        os.replace(temporary, path)
    except OSError as exc:
        # A cache that cannot be written costs the next start a retrain, nothing more.
        log.warning("could not cache the triage model at %s: %s", path, exc)


def load(path: Path) -> TextClassifier | None:
    try:
        with np.load(path, allow_pickle=False) as data:
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
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.warning("ignoring an unreadable triage model cache %s: %s", path, exc)
        return None


_trained: OrderedDict[str, TextClassifier] = OrderedDict()
_trained_lock = threading.Lock()
_KEEP_TRAINED = 4


def train(
    texts: Sequence[str], labels: Sequence[str], *, cache_dir: Path | None = None, threads: int | None = None
) -> TextClassifier:
    """`classifier.fit`, remembered. Training is deterministic, so a classifier for examples already trained
    is reused: from this process's memo (the worker, the console and every test build services from the
    same catalogue) or from `cache_dir` (a restart, a CLI call). Either can only skip repeating work, never
    change an answer.
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
        classifier = fit(texts, labels, threads=threads)
        if stored is not None:
            save(classifier, stored)
    with _trained_lock:
        _trained[key] = classifier
        while len(_trained) > _KEEP_TRAINED:
            _trained.popitem(last=False)
    return classifier
