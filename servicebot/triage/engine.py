"""Triage from what the desk has taught: the catalogue, imported history and agents' corrections.

A `TriageModel` is immutable: a classifier trained on every labelled example, a memory of corrections,
and the catalogue that turns a label into a queue and a priority. Learning something new means building
a new model (`services.learning` does that, and swaps it in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from intents.catalogue import OUT_OF_SCOPE, Catalogue
from servicebot.config import DEFAULT_CONFIDENCE_THRESHOLD, Desk
from servicebot.domain.triage import Candidate, Triage
from servicebot.triage.classifier import Ranked, TextClassifier
from servicebot.triage.features import prepare
from servicebot.triage.memory import CorrectionMemory
from servicebot.triage.model_store import Shared, train

DEFAULT_THRESHOLD = DEFAULT_CONFIDENCE_THRESHOLD
SOME_SIGNAL = 0.25  # below this, the nearest intent says nothing about which desk a query is for


class TriageEngine(Protocol):
    def classify(self, text: str, desk: str | None = None) -> Triage: ...


@dataclass(frozen=True)
class Labelled:
    """One training example: a text and the intent (or `out_of_scope`) it should get."""

    text: str
    label: str
    source: str  # catalogue | import | correction | pick


def catalogue_examples(catalogue: Catalogue) -> list[Labelled]:
    """Each intent's title, examples and keywords: a keyword alone ("pothole") is a real message too."""
    return [
        Labelled(phrase, intent.id, "catalogue")
        for intent in catalogue.intents.values()
        for phrase in (intent.title, *intent.examples, *intent.keywords)
    ]


class TriageModel:
    def __init__(
        self,
        catalogue: Catalogue,
        desks: Mapping[str, Desk],
        classifier: TextClassifier,
        memory: CorrectionMemory,
    ) -> None:
        self.catalogue = catalogue
        self.desks = desks
        self.classifier = classifier
        self.memory = memory
        self._allowed: dict[str, tuple[set[str], NDArray[np.bool_]]] = {}
        for desk in (*desks, ""):
            labels = {i.id for i in catalogue.for_desk(desk or None)} | {OUT_OF_SCOPE}
            self._allowed[desk] = (labels, classifier.mask(labels))

    @classmethod
    def train(
        cls,
        catalogue: Catalogue,
        desks: Mapping[str, Desk],
        learned: Sequence[Labelled] = (),
        cache_dir: Path | None = None,
        shared: Shared | None = None,
    ) -> TriageModel:
        examples = _unique([*catalogue_examples(catalogue), *learned])
        classifier = train(
            [e.text for e in examples], [e.label for e in examples], cache_dir=cache_dir, shared=shared
        )
        return cls(catalogue, desks, classifier, corrections_memory(learned))

    def with_memory(self, learned: Sequence[Labelled]) -> TriageModel:
        """The same classifier with a newer memory: corrections count at once, before any retraining."""
        return TriageModel(self.catalogue, self.desks, self.classifier, corrections_memory(learned))

    def classify(self, text: str, desk: str | None = None) -> Triage:
        if desk is None or desk not in self.desks:
            return self.classify(text, self._desk_for(text))
        labels, mask = self._allowed[desk]
        if not prepare(text):
            return self._out_of_scope(desk, 0.0, ())
        ranked = self.classifier.rank(text, mask, limit=5)
        candidates = tuple(self._candidate(r) for r in ranked if r.label != OUT_OF_SCOPE)[:4]
        recalled = self.memory.recall(text, labels)
        if recalled is not None:
            label, similarity = recalled
            if label == OUT_OF_SCOPE:
                return self._out_of_scope(desk, similarity, candidates)
            model_says = next((r.probability for r in ranked if r.label == label), 0.0)
            chosen, sure = label, max(similarity, model_says)
            others = tuple(c for c in candidates if c.intent != label)
            candidates = (self._candidate(Ranked(label, 0.0, sure)), *others[:3])
        elif not candidates:
            return self._out_of_scope(desk, 0.0, ())
        elif ranked[0].label == OUT_OF_SCOPE:
            # Trained on real out-of-scope messages and this looks like one: say so, with what came next.
            return self._out_of_scope(desk, candidates[0].score, candidates)
        else:
            chosen, sure = candidates[0].intent, candidates[0].score
        intent = self.catalogue.intents[chosen]
        if sure < self.desks[desk].confidence_threshold:
            return self._out_of_scope(desk, sure, candidates)
        return Triage(
            intent=intent.id,
            queue=intent.queue,
            priority=intent.priority,
            confidence=round(sure, 4),
            candidates=candidates,
            out_of_scope=False,
            desk=intent.desk,
        )

    def _candidate(self, ranked: Ranked) -> Candidate:
        intent = self.catalogue.intents[ranked.label]
        return Candidate(intent.id, intent.title, intent.queue, round(ranked.probability, 4))

    def _desk_for(self, text: str) -> str:
        """The desk of the nearest intent (or remembered correction), if anything is near; else the first.

        Deciding the desk first keeps the suggestions within it: a ticket only takes its own desk's intents.
        """
        labels, mask = self._allowed[""]
        recalled = self.memory.recall(text, labels - {OUT_OF_SCOPE}) if prepare(text) else None
        if recalled is not None:
            return self.catalogue.intents[recalled[0]].desk
        nearest = next(
            (r for r in self.classifier.rank(text, mask, limit=2) if r.label != OUT_OF_SCOPE), None
        )
        if nearest is not None and nearest.probability >= SOME_SIGNAL:
            return self.catalogue.intents[nearest.label].desk
        return next(iter(self.desks))

    def _out_of_scope(self, desk: str, sure: float, candidates: tuple[Candidate, ...]) -> Triage:
        config = self.desks[desk]
        return Triage(
            intent=None,
            queue=config.default_queue,
            priority="P3",
            confidence=round(sure, 4),
            candidates=candidates,
            out_of_scope=True,
            desk=config.id,
        )


def corrections_memory(learned: Iterable[Labelled]) -> CorrectionMemory:
    return CorrectionMemory((e.text, e.label) for e in learned if e.source in ("correction", "pick"))


def _unique(examples: Iterable[Labelled]) -> list[Labelled]:
    seen: set[tuple[str, str]] = set()
    kept: list[Labelled] = []
    for example in examples:
        key = (prepare(example.text), example.label)
        if key[0] and key not in seen:
            seen.add(key)
            kept.append(example)
    return kept
