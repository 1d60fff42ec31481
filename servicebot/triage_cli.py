"""`servicebot triage` and `servicebot intents check`: triage and the catalogue from the command line.

Neither needs the database: triage reads the catalogue, and the engine answers from it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from intents import load_catalogue
from servicebot.catalogue import Catalogue, CatalogueError, lint
from servicebot.config import Settings
from servicebot.domain.triage import Triage
from servicebot.matcher import CatalogueMatcher, TriageEngine
from servicebot.text import has_words


def build_engine(settings: Settings, catalogue_dir: Path | None = None) -> tuple[Catalogue, TriageEngine]:
    catalogue = load_catalogue(catalogue_dir, settings.desks)
    return catalogue, CatalogueMatcher(catalogue, settings.desks)


def triage_json(text: str, triage: Triage) -> dict[str, Any]:
    return {
        "text": text,
        "intent": triage.intent,
        "queue": triage.queue,
        "priority": triage.priority,
        "confidence": round(triage.confidence, 4),
        "out_of_scope": triage.out_of_scope,
        "alternatives": [{"intent": c.intent, "score": round(c.score, 4)} for c in triage.alternatives],
    }


def triage_one(engine: TriageEngine, text: str, desk: str | None, fmt: str, out: TextIO) -> int:
    if not has_words(text):
        print(
            "servicebot: triage needs some words to classify, e.g. 'printer jammed on floor 2'",
            file=sys.stderr,
        )
        return 2
    triage = engine.classify(text, desk)
    if fmt == "json":
        print(json.dumps(triage_json(text, triage), ensure_ascii=False), file=out)
        return 0
    if triage.out_of_scope:
        print(f"out of scope (confidence {triage.confidence:.2f}) → {triage.queue}", file=out)
    else:
        print(
            f"{triage.intent} → {triage.queue} · {triage.priority} · confidence {triage.confidence:.2f}",
            file=out,
        )
    for candidate in triage.alternatives:
        print(f"  also: {candidate.intent} ({candidate.score:.2f})", file=out)
    return 0


def _lines(source: Path | None) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text or None, error or None); a line that is not UTF-8 is reported, not fatal."""
    stream = sys.stdin.buffer if source is None else source.open("rb")
    try:
        for number, raw in enumerate(stream, start=1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n"), None
            except UnicodeDecodeError as exc:
                yield number, None, f"line {number} is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    finally:
        if source is not None:
            stream.close()


def triage_batch(engine: TriageEngine, source: Path | None, desk: str | None, out: TextIO) -> int:
    """One JSON object per input line, in order; bad lines get an `error` and the rest still run."""
    problems = 0
    for number, text, error in _lines(source):
        if text is not None and not has_words(text):
            error = f"line {number} has no words to classify"
        if error is not None or text is None:
            problems += 1
            print(json.dumps({"line": number, "text": text, "error": error}, ensure_ascii=False), file=out)
            continue
        record = {"line": number, **triage_json(text, engine.classify(text, desk))}
        print(json.dumps(record, ensure_ascii=False), file=out)
    if problems:
        print(f"servicebot: {problems} line(s) could not be classified; see their 'error'", file=sys.stderr)
    return 0


def check_catalogue(settings: Settings, catalogue_dir: Path | None, out: TextIO) -> int:
    """Exit 0 when clean or only warnings, 1 with errors (a catalogue that does not load is an error)."""
    try:
        catalogue = load_catalogue(catalogue_dir, settings.desks)
    except CatalogueError as exc:
        print(exc, file=out)
        return 1
    findings = lint(catalogue)
    for finding in findings:
        print(finding, file=out)
    errors = sum(f.severity == "error" for f in findings)
    per_desk = ", ".join(f"{len(catalogue.for_desk(d))} {d}" for d in settings.desks)
    examples = sum(len(i.examples) for i in catalogue.intents.values())
    print(
        f"{len(catalogue)} intents ({per_desk}), {examples} examples: "
        f"{errors} error(s), {len(findings) - errors} warning(s)",
        file=out,
    )
    return 1 if errors else 0
