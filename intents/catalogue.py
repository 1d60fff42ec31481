"""The intent catalogue as validated domain data: what a desk lead edits, checked before it is used."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

OUT_OF_SCOPE = "out_of_scope"
PRIORITIES = ("P1", "P2", "P3", "P4")
_INTENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogueError(Exception):
    """A catalogue that cannot be used; each line names the file, intent and field."""


class SelfHelp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=150)
    text: str = Field(min_length=1, max_length=600)
    url: HttpUrl | None = None


class Intent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    desk: str = ""
    title: str = Field(min_length=1, max_length=80)
    queue: str
    priority: str = "P3"
    owner_group: str = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = Field(min_length=1)
    self_help: SelfHelp | None = None

    @field_validator("id")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _INTENT_ID.match(value) or value == OUT_OF_SCOPE:
            raise ValueError(f"{value!r} must be snake_case and not {OUT_OF_SCOPE!r}")
        return value

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, value: str) -> str:
        if value not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        return value

    @field_validator("examples", "keywords")
    @classmethod
    def _non_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(v.strip() for v in values)
        if any(not v for v in cleaned):
            raise ValueError("blank entries are not allowed")
        return cleaned


class Catalogue:
    """Intents by id and by desk; built only from intents already checked against the desks' queues."""

    def __init__(self, intents: Iterable[Intent]) -> None:
        self.intents: dict[str, Intent] = {}
        for intent in intents:
            if intent.id in self.intents:
                raise CatalogueError(f"intent {intent.id}: defined twice")
            self.intents[intent.id] = intent

    def __len__(self) -> int:
        return len(self.intents)

    def get(self, intent_id: str) -> Intent | None:
        return self.intents.get(intent_id)

    def for_desk(self, desk: str | None) -> list[Intent]:
        return [i for i in self.intents.values() if desk is None or i.desk == desk]


MIN_EXAMPLES = 10
MIN_KEYWORDS = 3


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "warning"]
    intent: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: intent {self.intent}: {self.message}"


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def lint(catalogue: Catalogue) -> list[Finding]:
    """What a desk lead should fix: an example taught to two intents (error), thin intents (warning)."""
    findings: list[Finding] = []
    owner: dict[str, str] = {}
    for intent in catalogue.intents.values():
        seen_here: set[str] = set()
        for example in intent.examples:
            key = _normal(example)
            if key in seen_here:
                findings.append(Finding("warning", intent.id, f"example repeated: {example!r}"))
            seen_here.add(key)
            other = owner.setdefault(key, intent.id)
            if other != intent.id:
                findings.append(
                    Finding("error", intent.id, f"example {example!r} is also an example of {other}")
                )
        if len(seen_here) < MIN_EXAMPLES:
            findings.append(
                Finding(
                    "warning", intent.id, f"only {len(seen_here)} distinct examples (want {MIN_EXAMPLES}+)"
                )
            )
        if len(intent.keywords) < MIN_KEYWORDS:
            findings.append(
                Finding("warning", intent.id, f"only {len(intent.keywords)} keywords (want {MIN_KEYWORDS}+)")
            )
    return findings
