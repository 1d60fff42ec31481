"""Reading an import file: every row checked, every problem named by row, field and reason.

Imported data is never trusted (published figures carry swapped thresholds, damaged refs, units in the
wrong place). A file that cannot be read at all (missing, not UTF-8, no such columns) is refused whole with
`ImportFileError`; otherwise each row either becomes a record or a `RowProblem`, and the valid rows are
kept. Row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from servicebot import files
from servicebot.domain.errors import InvalidInput
from servicebot.domain.periods import FIRST_YEAR, LAST_YEAR, Period

T = TypeVar("T")


class ImportFileError(InvalidInput):
    """The file cannot be used at all; the message names the file and why."""


class FieldError(ValueError):
    """One field of one row is wrong: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}" + (f", {self.field}" if self.field else "") + f": {self.reason}"


@dataclass
class Parsed(Generic[T]):
    """A file's valid records (with their row numbers) and its problems, in file order."""

    name: str
    records: list[tuple[int, T]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0

    def reject(self, row: int, field: str | None, reason: str) -> None:
        self.problems.append(RowProblem(row, field, reason))


def read_text(path: Path, name: str | None = None) -> str:
    try:
        return files.read_utf8(path, name)
    except files.FileProblem as exc:
        raise ImportFileError(str(exc)) from None


def parse_csv(
    content: str,
    *,
    name: str,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    record: Callable[[dict[str, str]], T],
) -> Parsed[T]:
    """Rows of `content` through `record`, which raises FieldError for what it cannot accept."""
    limit = csv.field_size_limit()
    # Every field is read whole and one over the usual limit is named and skipped: otherwise the csv module
    # stops a record at the limit and resumes mid-record, misreading what follows a runaway quoted field.
    csv.field_size_limit(max(limit, len(content) + 1))
    try:
        return _parse(content, name, required, optional, record, limit)
    finally:
        csv.field_size_limit(limit)


def _parse(
    content: str,
    name: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    record: Callable[[dict[str, str]], T],
    field_limit: int,
) -> Parsed[T]:
    reader = csv.reader(io.StringIO(content))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFileError(f"{name}: the header line cannot be read as CSV ({exc})") from None
    if header is None or not any(h.strip() for h in header):
        raise ImportFileError(f"{name}: empty; the first line must name the columns: {', '.join(required)}")
    columns = [h.strip().lower() for h in header]
    known = set(required) | set(optional)
    missing = [c for c in required if c not in columns]
    if missing:
        raise ImportFileError(
            f"{name}: missing column(s) {', '.join(missing)}; the header must name {', '.join(required)}"
            + (f" (optional: {', '.join(optional)})" if optional else "")
            + f"; found: {', '.join(_shown(c) for c in columns)}"
        )
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ImportFileError(
            f"{name}: unknown column(s) {', '.join(_shown(c) for c in unknown)}; the columns are "
            f"{', '.join((*required, *optional))}"
        )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ImportFileError(f"{name}: column(s) named twice: {', '.join(duplicated)}")
    width = len(columns)
    parsed: Parsed[T] = Parsed(name)
    row_number = 1
    rows = iter(reader)
    while True:
        row_number += 1
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.rows += 1
            parsed.reject(row_number, None, f"not readable as CSV ({exc})")
            continue
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            row_number -= 1  # a blank line is not a row
            continue
        parsed.rows += 1
        if len(cells) != width:
            parsed.reject(row_number, None, f"{len(cells)} fields where the header names {width}")
            continue
        if max(len(c) for c in cells) > field_limit:
            parsed.reject(
                row_number, None, f"a field is over the {field_limit:,} characters a CSV field may hold"
            )
            continue
        try:
            parsed.records.append((row_number, record(dict(zip(columns, cells, strict=True)))))
        except FieldError as exc:
            parsed.reject(row_number, exc.field, exc.reason)
    return parsed


def _shown(column: str) -> str:
    """A header cell as a person can read it: a hidden character (a NUL, a control code) is written out,
    or "start" and "start\\x00" would look the same in the message."""
    if not column:
        return "(blank)"
    return column if column.isprintable() else repr(column)


# -- field parsers: each raises FieldError naming the field ----------------------------------------------
def text(row: dict[str, str], name: str, *, max_length: int = 200, required: bool = True) -> str:
    value = row.get(name, "").strip()
    if required and not value:
        raise FieldError(name, "is blank")
    if len(value) > max_length:
        raise FieldError(name, f"is {len(value):,} characters, over the {max_length:,} allowed")
    return value


def whole(row: dict[str, str], name: str, *, minimum: int = 0, maximum: int = 10**12) -> int:
    raw = row.get(name, "").strip()
    if not raw:
        raise FieldError(name, "is blank; give a whole number")
    try:
        value = int(raw.replace(",", "")) if re.fullmatch(r"-?\d{1,3}(,\d{3})+|-?\d+", raw) else None
    except ValueError:
        value = None
    if value is None:
        raise FieldError(name, f"{raw!r} is not a whole number")
    if not minimum <= value <= maximum:
        raise FieldError(name, f"{value:,} is out of range ({minimum:,} to {maximum:,})")
    return value


def number(
    row: dict[str, str], name: str, *, required: bool = True, minimum: float | None = None
) -> float | None:
    raw = row.get(name, "").strip()
    if not raw:
        if required:
            raise FieldError(name, "is blank; give a number")
        return None
    cleaned = raw.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise FieldError(name, f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise FieldError(name, f"{raw!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise FieldError(name, f"{raw} is below {minimum:g}")
    return value


_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def boolean(row: dict[str, str], name: str, *, default: bool) -> bool:
    raw = row.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise FieldError(name, f"{row.get(name, '').strip()!r} is not true or false")


def period(row: dict[str, str], name: str) -> Period:
    raw = row.get(name, "").strip()
    try:
        return Period.parse(raw)
    except InvalidInput as exc:
        raise FieldError(name, str(exc)) from None


def instant(row: dict[str, str], name: str, tz: ZoneInfo, *, required: bool = True) -> datetime | None:
    """ISO 8601. With an offset or Z it is that exact instant; without one, wall time in `tz`. A wall time
    a clock change skips, or one it repeats, is refused: only an offset says which instant was meant."""
    raw = row.get(name, "").strip()
    if not raw:
        if required:
            raise FieldError(name, "is blank; give a time as YYYY-MM-DDTHH:MM (local) or with an offset")
        return None
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", raw):
            raise ValueError
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise FieldError(
            name, f"{raw!r} is not a time; write ISO 8601, e.g. 2016-12-05T09:30 or 2016-12-05T09:30Z"
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        # Also keeps the UTC conversion in range: 9999-12-31T23:30-01:00 is past the last datetime.
        raise FieldError(
            name, f"{raw!r} is not a time this desk can have (years {FIRST_YEAR} to {LAST_YEAR})"
        )
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return local_instant(parsed, tz, name)


def local_instant(wall: datetime, tz: ZoneInfo, name: str) -> datetime:
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # fold only matters in a repeated hour (autumn) or a skipped one (spring); round-tripping tells which.
        if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
            raise FieldError(
                name, f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks went forward)"
            )
        raise FieldError(
            name,
            f"{wall:%Y-%m-%d %H:%M} happens twice in {tz.key} (the clocks went back); "
            "write it with its offset, e.g. +01:00 or +00:00",
        )
    return first.astimezone(UTC)


def reject_repeats(
    parsed: Parsed[T], key: Callable[[T], Hashable], field: str, what: Callable[[T], str]
) -> None:
    """Rows of one file with the same natural key: which is right cannot be told, so none of them is
    written, and each names the others. Problems end up in row order."""
    rows: dict[Hashable, list[int]] = {}
    for row_number, record in parsed.records:
        rows.setdefault(key(record), []).append(row_number)
    clashing = {n: numbers for numbers in rows.values() if len(numbers) > 1 for n in numbers}
    if not clashing:
        return
    for row_number, record in parsed.records:
        if row_number in clashing:
            others = ", ".join(str(n) for n in clashing[row_number] if n != row_number)
            parsed.reject(row_number, field, f"{what(record)} is also on row {others}")
    parsed.records = [(n, r) for n, r in parsed.records if n not in clashing]
    parsed.problems.sort(key=lambda p: p.row)
