"""The intake-gate evaluation set (tests/data/intake_gate_eval.csv) stays well formed: header, labels and
kinds, enough rows of each label, no duplicates, and no request copied from the intent catalogue."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from intents.small_talk import SMALL_TALK_FILE

ROOT = Path(__file__).resolve().parents[2]
EVAL_SET = ROOT / "tests" / "data" / "intake_gate_eval.csv"
CATALOGUE_FILES = sorted(p for p in (ROOT / "intents").glob("*.yaml") if p.name != SMALL_TALK_FILE)
KINDS = {
    "request": {"ict", "contact"},
    "nonrequest": {"greeting", "thanks", "smalltalk", "noise"},
}


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with EVAL_SET.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_header() -> None:
    with EVAL_SET.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == ["text", "label", "kind"]


def test_every_row_has_text_a_known_label_and_a_kind_of_that_label(rows: list[dict[str, str]]) -> None:
    bad = [
        (n, row)
        for n, row in enumerate(rows, start=2)
        if None in row
        or not (row["text"] or "").strip()
        or row["label"] not in KINDS
        or row["kind"] not in KINDS[row["label"]]
    ]
    assert bad == []


def test_enough_of_each_label(rows: list[dict[str, str]]) -> None:
    counts = Counter(row["label"] for row in rows)
    assert counts["request"] >= 300
    assert counts["nonrequest"] >= 300


def test_no_duplicate_texts(rows: list[dict[str, str]]) -> None:
    counts = Counter(normalised(row["text"]) for row in rows)
    assert [text for text, n in counts.items() if n > 1] == []


def test_no_request_is_a_catalogue_example(rows: list[dict[str, str]]) -> None:
    assert CATALOGUE_FILES, "no intents/*.yaml found"
    examples: set[str] = set()
    for path in CATALOGUE_FILES:
        catalogue: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for intent in catalogue["intents"]:
            examples.update(normalised(example) for example in intent.get("examples") or [])
    assert examples
    copied = [
        row["text"] for row in rows if row["label"] == "request" and normalised(row["text"]) in examples
    ]
    assert copied == []
