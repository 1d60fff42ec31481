"""Loads and validates `intents/*.yaml`; errors name the file, the intent and the field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import ValidationError

from intents.catalogue import Catalogue, CatalogueError, Intent
from intents.small_talk import SMALL_TALK_FILE

CATALOGUE_DIR = Path(__file__).resolve().parent


class Desk(Protocol):
    """What the loader checks intents against: the configured desks and their queues (config's `Desk`).

    A protocol rather than an import, so the catalogue depends on nothing of the core's."""

    @property
    def id(self) -> str: ...

    def queue(self, queue_id: str) -> object | None: ...


def load_catalogue(directory: Path | None = None, desks: Mapping[str, Desk] | None = None) -> Catalogue:
    """All `*.yaml` files in `directory`; every problem is reported at once, not just the first."""
    directory = directory or CATALOGUE_DIR
    # glob() finds nothing in a folder that is not there; "no intent files" would send people looking
    # for files instead of the path.
    if not directory.is_dir():
        there = "is a file, not a folder" if directory.exists() else "does not exist"
        raise CatalogueError(f"{directory}: the catalogue folder {there}")
    # small_talk.yaml sits beside the desks' files but is not an intent catalogue (intents.small_talk).
    files = sorted(p for p in directory.glob("*.yaml") if p.name != SMALL_TALK_FILE)
    if not files:
        raise CatalogueError(f"{directory}: no intent files (*.yaml)")
    problems: list[str] = []
    intents: list[Intent] = []
    defined_in: dict[str, str] = {}
    for path in files:
        for intent in _load_file(path, problems):
            if intent.id in defined_in:
                problems.append(
                    f"{path.name}: intent {intent.id}: id: already defined in {defined_in[intent.id]}"
                )
                continue
            defined_in[intent.id] = path.name
            intents.append(intent)
            if desks is not None:
                problems.extend(f"{path.name}: {problem}" for problem in _queue_problems(intent, desks))
    if problems:
        raise CatalogueError("invalid intent catalogue:\n  " + "\n  ".join(problems))
    return Catalogue(intents)


def _queue_problems(intent: Intent, desks: Mapping[str, Desk]) -> list[str]:
    desk = desks.get(intent.desk)
    if desk is None:
        return [f"intent {intent.id}: desk: {intent.desk!r} is not configured (desks: {', '.join(desks)})"]
    if desk.queue(intent.queue) is None:
        return [f"intent {intent.id}: queue: {intent.queue!r} is not a queue of desk {desk.id}"]
    return []


def _load_file(path: Path, problems: list[str]) -> list[Intent]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: cannot be read: {exc}")
        return []
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("desk"), str)
        or not isinstance(raw.get("intents"), list)
    ):
        problems.append(f"{path.name}: expected 'desk: <id>' and an 'intents:' list at the top level")
        return []
    desk: str = raw["desk"]
    loaded = []
    for index, item in enumerate(raw["intents"]):
        name = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
        if isinstance(item, dict) and "desk" in item:
            problems.append(f"{path.name}: intent {name}: desk: set once per file, not per intent")
            continue
        try:
            loaded.append(Intent.model_validate({**item, "desk": desk} if isinstance(item, dict) else item))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "(intent)"
                problems.append(f"{path.name}: intent {name}: {field}: {err['msg']}")
    return loaded
