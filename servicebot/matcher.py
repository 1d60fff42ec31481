"""Catalogue triage with rapidfuzz: matches a query against each intent's examples, keywords and title.

This is the day-one engine; anything with `classify(text, desk) -> Triage` can replace it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from servicebot.catalogue import Catalogue, Intent
from servicebot.config import Desk
from servicebot.domain.triage import Candidate, Triage
from servicebot.text import normalise_for_matching

OUT_OF_SCOPE_BELOW = 0.5


class TriageEngine(Protocol):
    def classify(self, text: str, desk: str | None = None) -> Triage: ...


@dataclass(frozen=True)
class _Index:
    phrases: list[str]
    owners: list[str]
    keywords: list[tuple[re.Pattern[str], str]]


class CatalogueMatcher:
    def __init__(self, catalogue: Catalogue, desks: Mapping[str, Desk]) -> None:
        self.catalogue = catalogue
        self.desks = desks
        self._indexes = {desk: self._index(catalogue.for_desk(desk)) for desk in desks}
        self._indexes[""] = self._index(catalogue.for_desk(None))

    @staticmethod
    def _index(intents: list[Intent]) -> _Index:
        phrases, owners, keywords = [], [], []
        for intent in intents:
            for phrase in (intent.title, *intent.examples, *intent.keywords):
                normal = normalise_for_matching(phrase)
                if normal:
                    phrases.append(normal)
                    owners.append(intent.id)
            for keyword in intent.keywords:
                normal = normalise_for_matching(keyword)
                if normal:
                    keywords.append((re.compile(rf"\b{re.escape(normal)}\b"), intent.id))
        return _Index(phrases, owners, keywords)

    def classify(self, text: str, desk: str | None = None) -> Triage:
        query = normalise_for_matching(text)
        index = self._indexes.get(desk or "", self._indexes[""])
        scores: dict[str, float] = {}
        if query and index.phrases:
            for _phrase, score, position in process.extract(
                query, index.phrases, scorer=fuzz.token_set_ratio, limit=40, score_cutoff=40
            ):
                owner = index.owners[position]
                scores[owner] = max(scores.get(owner, 0.0), float(score))
            for pattern, owner in index.keywords:
                if pattern.search(query):
                    # A distinctive keyword said outright is strong evidence, more so when it is long.
                    scores[owner] = max(scores.get(owner, 0.0), min(96.0, 86.0 + len(pattern.pattern) / 3))
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return self._decide(ranked, desk)

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
        top = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = min(1.0, (top - second) / 20.0)
        confidence = round((top / 100.0) * (0.8 + 0.2 * margin), 4)
        if not ranked or confidence < OUT_OF_SCOPE_BELOW:
            desk = self.desks.get(desk_id or "") or next(iter(self.desks.values()))
            return Triage(
                intent=None,
                queue=desk.default_queue,
                priority="P3",
                confidence=confidence,
                candidates=candidates,
                out_of_scope=True,
                desk=desk.id,
            )
        best = self.catalogue.intents[ranked[0][0]]
        return Triage(
            intent=best.id,
            queue=best.queue,
            priority=best.priority,
            confidence=confidence,
            candidates=candidates,
            out_of_scope=False,
            desk=best.desk,
        )
