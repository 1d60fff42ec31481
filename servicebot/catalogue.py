"""The intent catalogue as validated domain data: what a desk lead edits, checked before it is used."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
