"""A text classifier trained on labelled examples, with confidence calibrated on examples it did not see.

Training uses scikit-learn (TF-IDF over `features.ANALYZERS`, a linear SVM); answering does not: the
trained weights are kept as one dense (features × labels) matrix, and a message is scored by featurising
it and summing the weight rows of its few dozen features. That is what keeps one answer far below a
millisecond, where scikit-learn's per-call overhead alone is over one.

Confidence is the estimated probability that the top label is right. It is fitted on out-of-fold
predictions (each half of the examples scored by a model trained on the other half), so it reflects how
the model does on text it has not seen, which is what every real message is.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from servicebot.triage.features import ANALYZERS, CHAR_NGRAMS, Block, featurise, prepare

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

SVM_C = 0.5  # chosen on CLINC150's validation split, then left alone (see BENCHMARKS.md)
MIN_DF = (1, 2)  # per analyzer: every word counts; a character n-gram seen once is noise
MODEL_FORMAT = 1  # bump when features, training or the stored layout change: old cache files are ignored
SMALL_SET = 5000  # examples; up to this many, calibration uses five folds


class TrainingError(ValueError):
    """The examples cannot make a classifier; the message says what is missing."""


@dataclass(frozen=True)
class Calibration:
    """P(top label is right | top score) = 1 / (1 + exp(-(slope · score + intercept)))."""

    slope: float
    intercept: float

    def probability(self, score: float) -> float:
        z = self.slope * score + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@dataclass(frozen=True)
class Ranked:
    label: str
    score: float  # the raw decision value
    probability: float  # calibrated: how likely this label is the right one


class TextClassifier:
    def __init__(
        self,
        labels: Sequence[str],
        blocks: Sequence[Block],
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        calibration: Calibration,
        examples: int,
        held_out_accuracy: float,
    ) -> None:
        self.labels = tuple(labels)
        self.blocks = tuple(blocks)
        self.weights = weights
        self.bias = bias
        self.calibration = calibration
        self.examples = examples
        self.held_out_accuracy = held_out_accuracy
        self._index = {label: i for i, label in enumerate(self.labels)}

    def scores(self, text: str) -> NDArray[np.float32]:
        """One decision value per label (same order as `labels`)."""
        return self._scores(text)[0]

    def _scores(self, text: str) -> tuple[NDArray[np.float32], bool]:
        columns, values = featurise(self.blocks, prepare(text))
        if not len(columns):
            return self.bias.copy(), False
        result: NDArray[np.float32] = values @ self.weights[columns] + self.bias
        return result, True

    def rank(self, text: str, allowed: NDArray[np.bool_] | None = None, limit: int = 4) -> list[Ranked]:
        """The best `limit` labels among `allowed` (a mask over `labels`), best first.

        A message with nothing the model has seen (another script, only emoji, gibberish) gets probability
        0 for every label: the scores are the labels' priors alone, not evidence about this message."""
        scores, known = self._scores(text)
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf).astype(np.float32)
        limit = min(limit, len(self.labels))
        top = np.argpartition(-scores, limit - 1)[:limit]
        ordered = sorted(top, key=lambda i: (-float(scores[i]), self.labels[i]))
        return [
            Ranked(
                self.labels[i],
                float(scores[i]),
                self.calibration.probability(float(scores[i])) if known else 0.0,
            )
            for i in ordered
            if np.isfinite(scores[i])
        ]

    def mask(self, labels: set[str]) -> NDArray[np.bool_]:
        allowed = np.zeros(len(self.labels), dtype=bool)
        for label in labels:
            if (i := self._index.get(label)) is not None:
                allowed[i] = True
        return allowed


# -- training -------------------------------------------------------------------------------------------


def _identity(terms: list[str]) -> list[str]:
    return terms


def _fit(terms: Sequence[Sequence[list[str]]], labels: NDArray[Any], rows: NDArray[np.intp]) -> _Fitted:
    """Vectorisers and an SVM trained on `rows` only (pre-analysed terms, one list per analyzer)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorisers = [
        TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min(MIN_DF[k], max(1, len(rows) // 50)))
        for k in range(len(ANALYZERS))
    ]
    matrix = hstack(
        [v.fit_transform([terms[k][r] for r in rows]) for k, v in enumerate(vectorisers)], format="csr"
    )
    svm = LinearSVC(C=SVM_C, random_state=0, max_iter=5000)
    with _LIBLINEAR:
        svm.fit(matrix, labels[rows])
    return _Fitted(vectorisers, svm)


# liblinear draws its coordinate order from one random generator per process (scikit-learn's
# `_newrand`), seeded just before each fit. Two fits at once in threads interleave on it, and then the
# same examples give a slightly different model: one fit at a time keeps training deterministic. The
# TF-IDF work around it still runs in parallel.
_LIBLINEAR = threading.Lock()


@dataclass
class _Fitted:
    vectorisers: list[TfidfVectorizer]
    svm: LinearSVC

    def decision(self, terms: Sequence[Sequence[list[str]]], rows: NDArray[np.intp]) -> NDArray[np.float64]:
        from scipy.sparse import hstack

        matrix = hstack(
            [v.transform([terms[k][r] for r in rows]) for k, v in enumerate(self.vectorisers)], format="csr"
        )
        scores = np.asarray(self.svm.decision_function(matrix), dtype=np.float64)
        if scores.ndim == 1:  # two labels: one column, positive means the second
            scores = np.stack([-scores, scores], axis=1)
        return scores


def _folds(labels: NDArray[Any], k: int) -> list[NDArray[np.intp]]:
    """k folds, each holding every k-th example of each label: stratified and deterministic."""
    fold = np.zeros(len(labels), dtype=np.intp)
    seen: dict[Any, int] = {}
    for i, label in enumerate(labels):
        fold[i] = seen.get(label, 0) % k
        seen[label] = seen.get(label, 0) + 1
    return [np.flatnonzero(fold == f) for f in range(k)]


def _calibrate(top_scores: NDArray[np.float64], correct: NDArray[np.bool_]) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    # Four pseudo-observations state the prior: a top score of 0 or below (no label claims the text) is
    # wrong, one of 1 or more is right. They keep the fit defined and sane for a handful of examples, all
    # right or all wrong, and are outweighed as soon as there is real evidence (thousands of examples).
    x = np.concatenate([top_scores, [-1.0, 0.0, 1.0, 1.5]]).reshape(-1, 1)
    y = np.concatenate([correct.astype(int), [0, 0, 1, 1]])
    fit = LogisticRegression(C=100.0).fit(x, y)
    return Calibration(slope=float(fit.coef_[0, 0]), intercept=float(fit.intercept_[0]))


def training_key(texts: Sequence[str], labels: Sequence[str]) -> str:
    """A digest of the examples and of everything in this module that shapes what they train into."""
    digest = hashlib.sha256(f"v{MODEL_FORMAT} C={SVM_C} df={MIN_DF} ngrams={CHAR_NGRAMS}".encode())
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\x1f{text}\x1e".encode())
    return digest.hexdigest()[:32]


def fit(texts: Sequence[str], labels: Sequence[str], *, threads: int | None = None) -> TextClassifier:
    """Train on (text, label) pairs. Deterministic: the same examples give the same classifier."""
    from sklearn.exceptions import ConvergenceWarning

    kept = [(p, label) for text, label in zip(texts, labels, strict=True) if (p := prepare(text))]
    prepared = [p for p, _ in kept]
    y = np.asarray([label for _, label in kept], dtype=object)
    distinct = sorted(set(y.tolist()))
    if len(distinct) < 2:
        raise TrainingError(
            f"training needs examples of at least two labels; got {len(distinct)} ({', '.join(distinct)})"
        )
    terms = [[analyzer(p) for p in prepared] for analyzer in ANALYZERS]
    everything = np.arange(len(prepared), dtype=np.intp)
    # Calibration scores each example with a model that never saw it. Small example sets (a catalogue)
    # use five folds, so those models are nearly as good as the final one; large sets can afford only two.
    folds = _folds(y, 5 if len(prepared) <= SMALL_SET else 2)
    workers = threads or min(3, os.cpu_count() or 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # The folds' vectorising runs in parallel; their SVM fits take turns (_LIBLINEAR).
            final = pool.submit(_fit, terms, y, everything)
            held_out_fits = []
            for held_out in folds:
                train_rows = np.setdiff1d(everything, held_out, assume_unique=True)
                if len(set(y[train_rows].tolist())) >= 2 and len(held_out):
                    held_out_fits.append((pool.submit(_fit, terms, y, train_rows), held_out))
            fitted = final.result()
            top_scores: list[float] = []
            correct: list[bool] = []
            for future, held_out in held_out_fits:
                model = future.result()
                scores = model.decision(terms, held_out)
                best = scores.argmax(axis=1)
                top_scores.extend(scores[np.arange(len(held_out)), best].tolist())
                correct.extend((model.svm.classes_[best] == y[held_out]).tolist())
    calibration = _calibrate(np.asarray(top_scores), np.asarray(correct, dtype=bool))
    return _lean(fitted, calibration, len(prepared), float(np.mean(correct)) if correct else 0.0)


def _lean(fitted: _Fitted, calibration: Calibration, examples: int, accuracy: float) -> TextClassifier:
    blocks = [
        Block(analyzer, v.vocabulary_, np.asarray(v.idf_))
        for analyzer, v in zip(ANALYZERS, fitted.vectorisers, strict=True)
    ]
    coef = np.asarray(fitted.svm.coef_, dtype=np.float32)
    bias = np.asarray(fitted.svm.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:
        coef = np.vstack([-coef, coef])
        bias = np.concatenate([-bias, bias])
    return TextClassifier(
        labels=[str(label) for label in fitted.svm.classes_],
        blocks=blocks,
        weights=np.ascontiguousarray(coef.T),
        bias=bias,
        calibration=calibration,
        examples=examples,
        held_out_accuracy=accuracy,
    )
