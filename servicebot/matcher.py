"""Catalogue triage with rapidfuzz: matches a query against each intent's examples, keywords and title.

This is the day-one engine; anything with `classify(text, desk) -> Triage` can replace it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from rapidfuzz import fuzz, process

from servicebot.catalogue import Catalogue, Intent
from servicebot.config import Desk
from servicebot.domain.triage import Candidate, Triage
from servicebot.text import normalise_for_matching

OUT_OF_SCOPE_BELOW = 0.5


class TriageEngine(Protocol):
    def classify(self, text: str, desk: str | None = None) -> Triage: ...


class FuzzyIndex:
    """Labelled phrases, matched with rapidfuzz: each label scores its best phrase (0–100), and a keyword
    said outright scores high. Built from any (phrase, label) pairs, so it can be trained from a CSV."""

    def __init__(self, phrases: Iterable[tuple[str, str]], keywords: Iterable[tuple[str, str]] = ()) -> None:
        self.phrases: list[str] = []
        self.owners: list[str] = []
        for phrase, label in phrases:
            normal = normalise_for_matching(phrase)
            if normal:
                self.phrases.append(normal)
                self.owners.append(label)
        self.keywords = [
            (re.compile(rf"\b{re.escape(normal)}\b"), label)
            for keyword, label in keywords
            if (normal := normalise_for_matching(keyword))
        ]

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Labels with their scores, best first."""
        query = normalise_for_matching(text)
        scores: dict[str, float] = {}
        if query and self.phrases:
            for _phrase, score, position in process.extract(
                query, self.phrases, scorer=fuzz.token_set_ratio, limit=40, score_cutoff=40
            ):
                owner = self.owners[position]
                scores[owner] = max(scores.get(owner, 0.0), float(score))
            for pattern, owner in self.keywords:
                if pattern.search(query):
                    # A distinctive keyword said outright is strong evidence, more so when it is long.
                    scores[owner] = max(scores.get(owner, 0.0), min(96.0, 86.0 + len(pattern.pattern) / 3))
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def confidence(ranked: list[tuple[str, float]]) -> float:
    """The best score, discounted when the runner-up is close: a near tie is not a confident answer."""
    if not ranked:
        return 0.0
    top = ranked[0][1]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    margin = min(1.0, (top - second) / 20.0)
    return round((top / 100.0) * (0.8 + 0.2 * margin), 4)


def _catalogue_index(intents: list[Intent]) -> FuzzyIndex:
    return FuzzyIndex(
        ((phrase, i.id) for i in intents for phrase in (i.title, *i.examples, *i.keywords)),
        ((keyword, i.id) for i in intents for keyword in i.keywords),
    )


class CatalogueMatcher:
    def __init__(self, catalogue: Catalogue, desks: Mapping[str, Desk]) -> None:
        self.catalogue = catalogue
        self.desks = desks
        self._indexes = {desk: _catalogue_index(catalogue.for_desk(desk)) for desk in desks}
        self._indexes[""] = _catalogue_index(catalogue.for_desk(None))

    def classify(self, text: str, desk: str | None = None) -> Triage:
        index = self._indexes.get(desk or "", self._indexes[""])
        return self._decide(index.rank(text), desk)

    def _decide(self, ranked: list[tuple[str, float]], desk_id: str | None) -> Triage:
        candidates = tuple(
            Candidate(
                intent=i,
                title=self.catalogue.intents[i].title,
                queue=self.catalogue.intents[i].queue,
                score=s / 100,
            )
            for i, s in ranked[:4]
        )
        sure = confidence(ranked)
        if not ranked or sure < OUT_OF_SCOPE_BELOW:
            desk = self.desks.get(desk_id or "") or next(iter(self.desks.values()))
            return Triage(
                intent=None,
                queue=desk.default_queue,
                priority="P3",
                confidence=sure,
                candidates=candidates,
                out_of_scope=True,
                desk=desk.id,
            )
        best = self.catalogue.intents[ranked[0][0]]
        return Triage(
            intent=best.id,
            queue=best.queue,
            priority=best.priority,
            confidence=sure,
            candidates=candidates,
            out_of_scope=False,
            desk=best.desk,
        )
