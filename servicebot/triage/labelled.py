"""Labelled examples from CSV (`text,label`): historical tickets, evaluation sets.

Imported data is never trusted: every problem is reported with its row and field, and the valid rows are
kept. A file that cannot be read at all (no such columns, not UTF-8 throughout) is refused whole.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from servicebot import files
from servicebot.triage.text import has_words

REQUIRED_COLUMNS = ("text", "label")
MAX_TEXT = 10_000


class LabelledDataError(Exception):
    """The file cannot be used at all; the message says why."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    row: int  # the CSV row number, counting the header as row 1


@dataclass
class LabelledSet:
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return sorted({e.label for e in self.examples})

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for example in self.examples:
            counts[example.label] = counts.get(example.label, 0) + 1
        return counts


def read_labelled_csv(path: Path, *, name: str | None = None) -> LabelledSet:
    name = name or path.name
    try:
        content = files.read_utf8(path, name)
    except files.FileProblem as exc:
        raise LabelledDataError(str(exc)) from None
    return parse_labelled_csv(content, name=name)


def parse_labelled_csv(content: str, *, name: str = "input") -> LabelledSet:
    limit = csv.field_size_limit()
    # The csv module stops a record at its field size limit and resumes mid-record, so what follows a
    # huge quoted field could be misread. Every field is read whole here and one over the usual limit is
    # named and skipped below, so a single runaway cell costs one row, not the file or its neighbours.
    csv.field_size_limit(max(limit, len(content) + 1))
    try:
        return _parse(content, name, limit)
    finally:
        csv.field_size_limit(limit)


def _parse(content: str, name: str, field_limit: int) -> LabelledSet:
    reader = csv.DictReader(io.StringIO(content))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise LabelledDataError(f"{name}: the header line cannot be read as CSV ({exc})") from None
    columns = [c.strip().lower() for c in (fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise LabelledDataError(
            f"{name}: missing column(s) {', '.join(missing)}; the header must name text and label "
            f"(found: {', '.join(columns) or 'nothing'})"
        )
    reader.fieldnames = columns
    result = LabelledSet()
    row_number = 1
    while True:
        first_line = reader.line_num + 1
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            where = f"row {row_number} (line {first_line})"
            result.problems.append(f"{name}: {where}: not readable as CSV ({exc})")
            continue
        longest = max((len(v) for v in row.values() if isinstance(v, str)), default=0)
        if longest > field_limit:
            result.problems.append(
                f"{name}: row {row_number} (line {first_line}): a field of {longest:,} characters is over "
                f"the {field_limit:,} a CSV field may hold (a missing closing quote?); row skipped"
            )
            continue
        text = (row.get("text") or "").strip()
        label = (row.get("label") or "").strip()
        if None in row:
            result.problems.append(f"{name}: row {row_number}: more fields than the header names")
        if not label:
            result.problems.append(f"{name}: row {row_number}: label is blank")
            continue
        if not has_words(text):
            result.problems.append(f"{name}: row {row_number}: text has no words")
            continue
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
        result.examples.append(Example(text, label, row_number))
    if not result.examples:
        raise LabelledDataError(
            f"{name}: no usable rows" + (f" ({len(result.problems)} problems)" if result.problems else "")
        )
    return result


def thin_labels(data: LabelledSet, minimum: int = 2) -> list[str]:
    """Labels with fewer than `minimum` examples: usable, but worth a warning."""
    return sorted(label for label, n in data.counts().items() if n < minimum)
