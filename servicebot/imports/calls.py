"""Telephony per day (or interval), desk and line, as the switch reports it:
`date,desk,line,offered,answered,answered_within_40s,abandoned,total_wait_seconds,total_handle_seconds`.

`date` is a local date (`2016-12-05`) for a day's totals, or a local date and time (`2016-12-05T09:30`)
for an interval's; both are filed under their local day and month. The counts must add up: no more
answered than offered, no more within 40 s than answered, no more abandoned than were not answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from servicebot.domain.telephony import CallRow
from servicebot.imports import csvfile
from servicebot.imports.csvfile import FieldError, Parsed

COLUMNS = (
    "date",
    "desk",
    "line",
    "offered",
    "answered",
    "answered_within_40s",
    "abandoned",
    "total_wait_seconds",
    "total_handle_seconds",
)
_LINE = re.compile(r"^[a-z0-9][a-z0-9 &'()/._-]{0,63}$", re.IGNORECASE)
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?$")
# A day's calls on one line: far beyond the busiest contact centre (~2,000 a day on its main line).
MAX_CALLS = 1_000_000
MAX_SECONDS = 10**10


def _when(row: dict[str, str], tz: ZoneInfo) -> tuple[date, str]:
    raw = row.get("date", "").strip()
    match = _DATE_TIME.match(raw)
    if match is None:
        raise FieldError(
            "date", f"{raw!r} is not a date; write YYYY-MM-DD, or YYYY-MM-DDTHH:MM for an interval"
        )
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        raise FieldError("date", f"{raw!r} is not a date in the calendar") from None
    if match.group(2) is None:
        return day, ""
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise FieldError("date", f"{raw!r} has no such time of day")
    # An interval's start is local wall time: one the clocks skip (or repeat) cannot name one interval.
    csvfile.local_instant(datetime.combine(day, time(hour, minute)), tz, "date")
    return day, f"{hour:02d}:{minute:02d}"


def record(desks: frozenset[str], tz: ZoneInfo) -> Callable[[dict[str, str]], CallRow]:
    def parse(row: dict[str, str]) -> CallRow:
        day, interval = _when(row, tz)
        desk = csvfile.text(row, "desk", max_length=32)
        if desk not in desks:
            raise FieldError("desk", f"{desk!r} is not a desk; the desks are {', '.join(sorted(desks))}")
        line = csvfile.text(row, "line", max_length=64)
        if not _LINE.match(line):
            raise FieldError(
                "line", f"{line!r} is not a line name (letters, digits, spaces and - _ . & / ( ))"
            )
        offered = csvfile.whole(row, "offered", maximum=MAX_CALLS)
        answered = csvfile.whole(row, "answered", maximum=MAX_CALLS)
        within = csvfile.whole(row, "answered_within_40s", maximum=MAX_CALLS)
        abandoned = csvfile.whole(row, "abandoned", maximum=MAX_CALLS)
        wait = csvfile.number(row, "total_wait_seconds", minimum=0.0)
        handle = csvfile.number(row, "total_handle_seconds", minimum=0.0)
        assert wait is not None and handle is not None  # required fields
        for field, seconds in (("total_wait_seconds", wait), ("total_handle_seconds", handle)):
            if seconds > MAX_SECONDS:
                raise FieldError(field, f"{seconds:,.0f} seconds is more than a file of calls can hold")
        if answered > offered:
            raise FieldError("answered", f"{answered:,} answered is more than the {offered:,} offered")
        if within > answered:
            raise FieldError(
                "answered_within_40s", f"{within:,} within 40 s is more than the {answered:,} answered"
            )
        if abandoned > offered - answered:
            raise FieldError(
                "abandoned",
                f"{abandoned:,} abandoned is more than the {offered - answered:,} offered but not answered",
            )
        if answered == 0 and handle:
            raise FieldError("total_handle_seconds", f"is {handle:,.0f} with no call answered")
        return CallRow(day, interval, desk, line.lower(), offered, answered, within, abandoned, wait, handle)

    return parse


def parse(content: str, name: str, desks: frozenset[str], tz: ZoneInfo) -> Parsed[CallRow]:
    parsed = csvfile.parse_csv(content, name=name, required=COLUMNS, record=record(desks, tz))
    csvfile.reject_repeats(
        parsed,
        lambda call: (call.day, call.interval_start, call.desk, call.line),
        "date",
        lambda call: (
            f"{call.desk} {call.line} on {call.day}"
            + (f" {call.interval_start}" if call.interval_start else "")
        ),
    )
    # A day's total and its intervals for the same line would count every call twice: one or the other.
    kinds: dict[tuple[date, str, str], set[bool]] = {}
    for _, call in parsed.records:
        kinds.setdefault((call.day, call.desk, call.line), set()).add(call.interval_start == "")
    mixed = {key for key, seen in kinds.items() if len(seen) == 2}
    if mixed:
        for row_number, call in parsed.records:
            if (call.day, call.desk, call.line) in mixed:
                parsed.reject(
                    row_number,
                    "date",
                    f"{call.desk} {call.line} on {call.day} has both a day's total and intervals in this "
                    "file; give one or the other, or every call counts twice",
                )
        parsed.records = [(n, c) for n, c in parsed.records if (c.day, c.desk, c.line) not in mixed]
        parsed.problems.sort(key=lambda problem: problem.row)
    return parsed
