"""Loads and validates `intents/*.yaml`; errors name the file, the intent and the field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from servicebot.catalogue import Catalogue, CatalogueError, Intent
from servicebot.config import Desk

CATALOGUE_DIR = Path(__file__).resolve().parent


def load_catalogue(directory: Path | None = None, desks: Mapping[str, Desk] | None = None) -> Catalogue:
    """All `*.yaml` files in `directory`; every problem is reported at once, not just the first."""
    directory = directory or CATALOGUE_DIR
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogueError(f"{directory}: no intent files (*.yaml)")
    problems: list[str] = []
    intents: list[Intent] = []
    for path in files:
        intents.extend(_load_file(path, problems))
    seen: dict[str, str] = {}
    for intent in intents:
        if intent.id in seen:
            problems.append(f"intent {intent.id}: defined in both {seen[intent.id]} and another file")
        seen.setdefault(intent.id, intent.desk)
    if problems:
        raise CatalogueError("invalid intent catalogue:\n  " + "\n  ".join(problems))
    unique = {i.id: i for i in intents}
    catalogue = Catalogue(unique.values())
    if desks is not None:
        queue_problems = catalogue.check_queues(desks)
        if queue_problems:
            raise CatalogueError("invalid intent catalogue:\n  " + "\n  ".join(queue_problems))
    return catalogue


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
