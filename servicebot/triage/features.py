"""What the classifier sees of a message: words and word pairs, and character n-grams inside words.

Words carry the meaning; character n-grams carry it through typos, plurals and run-together words
("pasword", "fly-tipping", "flytipping"). The same functions build the training matrix and featurise a
message at run time, so the two can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from servicebot.triage.text import normalise_for_matching

CHAR_NGRAMS = (2, 5)

Analyzer = Callable[[str], list[str]]


def prepare(text: str) -> str:
    """Markup, emoji, case and punctuation removed; analyzers take this, never the raw text."""
    return normalise_for_matching(text)


def word_terms(prepared: str) -> list[str]:
    words = prepared.split()
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def char_terms(prepared: str) -> list[str]:
    low, high = CHAR_NGRAMS
    terms: list[str] = []
    for word in prepared.split():
        padded = f" {word} "
        for n in range(low, min(high, len(padded)) + 1):
            terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return terms


ANALYZERS: tuple[Analyzer, ...] = (word_terms, char_terms)


class Block:
    """One analyzer's vocabulary and idf weights: sublinear tf × idf, then unit length, as trained."""

    def __init__(self, analyzer: Analyzer, vocabulary: Mapping[str, int], idf: NDArray[np.float64]) -> None:
        self.analyzer = analyzer
        self.vocabulary = dict(vocabulary)
        self.idf = idf.astype(np.float64)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def featurise(self, prepared: str) -> tuple[list[int], list[float]]:
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for term in self.analyzer(prepared):
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = list(counts)
        values = [(1.0 + math.log(counts[c])) * float(self.idf[c]) for c in columns]
        norm = math.sqrt(sum(v * v for v in values))
        if norm:
            values = [v / norm for v in values]
        return columns, values


def featurise(blocks: Sequence[Block], prepared: str) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """Sparse features of one message: (columns, values) over the blocks laid side by side."""
    columns: list[int] = []
    values: list[float] = []
    offset = 0
    for block in blocks:
        block_columns, block_values = block.featurise(prepared)
        columns.extend(c + offset for c in block_columns)
        values.extend(block_values)
        offset += len(block)
    return np.asarray(columns, dtype=np.intp), np.asarray(values, dtype=np.float32)
