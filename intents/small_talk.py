"""Small talk as data: the courtesy that wraps a request, the kinds of message that are not one, and what
the bot says to each (`small_talk.yaml`, edited by a desk lead and checked on load like the catalogue)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from intents.catalogue import CatalogueError

SMALL_TALK_FILE = "small_talk.yaml"
_SHIPPED = Path(__file__).resolve().parent
KINDS = ("greeting", "thanks", "goodbye", "about", "chat", "ack", "noise")


class Courtesy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    greeting: tuple[str, ...] = Field(min_length=1)
    thanks: tuple[str, ...] = Field(min_length=1)
    filler: tuple[str, ...] = ()


class Kind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reply: str = Field(min_length=1, max_length=600)
    examples: tuple[str, ...] = ()


class SmallTalk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    courtesy: Courtesy
    resolved_words: tuple[str, ...] = ()
    unresolved_words: tuple[str, ...] = ()
    kinds: dict[str, Kind]
    unsure_reply: str = Field(min_length=1, max_length=200)

    @field_validator("kinds")
    @classmethod
    def _every_kind_once(cls, kinds: dict[str, Kind]) -> dict[str, Kind]:
        missing = [k for k in KINDS if k not in kinds]
        unknown = [k for k in kinds if k not in KINDS]
        if missing or unknown:
            raise ValueError(
                "expected exactly the kinds "
                + ", ".join(KINDS)
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        return kinds


def load_small_talk(directory: Path | None = None) -> SmallTalk:
    """`small_talk.yaml` from the catalogue folder, or the shipped one when that folder has none."""
    path = (directory or _SHIPPED) / SMALL_TALK_FILE
    if not path.is_file():
        path = _SHIPPED / SMALL_TALK_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path.name}: cannot be read: {exc}") from None
    try:
        return SmallTalk.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{path.name}: {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise CatalogueError("invalid small talk:\n  " + "\n  ".join(problems)) from None
