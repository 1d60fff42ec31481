"""Outage files: `service,start,end,impact_start,impact_end,planned,ticket`, one outage a row.

Times are ISO 8601: with an offset or Z an exact instant, without one Europe/London wall time (a time the
clocks skip or repeat is refused: only an offset says which instant was meant). The rules where the issue
is silent, decided here:
- An empty `impact_start`/`impact_end` means the outage's own start/end.
- An empty `end` means the outage is still open (it can be ended from chat with `outage end`); its impact
  then runs until `impact_end` if one is given, else until it ends.
- `end` must be after `start`; users' impact lies within the outage: `impact_start` not before `start`,
  `impact_end` not after `end`, and not before `impact_start` (equal: an outage that impacted nobody).
  An impact outside the outage's own times is a typo far more often than a fact, and an outage that
  impacted users from 08:00 started at 08:00, so the row is refused with what to correct.
- `ticket` is a reference as people type it (T-00042, t-42, #42); `planned` true or false, default false.
- The same service and start twice in one file is one outage given twice: the later row is refused,
  naming the earlier, rather than one silently overwriting the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from servicebot.domain.availability import Outage
from servicebot.domain.errors import UserError
from servicebot.domain.tickets import parse_ref
from servicebot.imports.csvfile import FieldError, Parsed, boolean, instant, parse_csv, reject_repeats, text

KIND = "outages"
# Impact columns may be left out as well as left empty: either way users were impacted for the whole outage.
REQUIRED = ("service", "start", "end")
OPTIONAL = ("impact_start", "impact_end", "planned", "ticket")
COLUMNS = ",".join((*REQUIRED, *OPTIONAL))
IMPORTED_BY = "import"


def parse_outages(
    content: str, name: str, services: Iterable[str], tz: ZoneInfo, now: datetime | None = None
) -> Parsed[Outage]:
    """Rows of an outage file checked against the configured `services` (ids), times read in `tz`. Only
    planned maintenance may lie ahead of `now` (agreed in advance); an outage has happened or is happening."""
    known = tuple(services)

    def record(row: dict[str, str]) -> Outage:
        outage = _outage(row, known, tz)
        if now is not None and not outage.planned:
            for field, at in (("start", outage.started_at), ("end", outage.ended_at)):
                if at is not None and at > now:
                    raise FieldError(field, "is in the future; only planned maintenance is recorded ahead")
        return outage

    parsed = parse_csv(content, name=name, required=REQUIRED, optional=OPTIONAL, record=record)
    reject_repeats(
        parsed,
        lambda outage: (outage.service, outage.started_at),
        "start",
        lambda outage: f"the {outage.service} outage starting {outage.started_at:%Y-%m-%d %H:%M} UTC",
    )
    return parsed


def _outage(row: dict[str, str], services: tuple[str, ...], tz: ZoneInfo) -> Outage:
    service = text(row, "service", max_length=32).lower()
    if service not in services:
        raise FieldError(
            "service",
            f"{service!r} is not a configured service; "
            + (f"choose one of: {', '.join(services)}" if services else "no services are configured"),
        )
    start = instant(row, "start", tz)
    assert start is not None
    end = instant(row, "end", tz, required=False)
    if end is not None and end <= start:
        raise FieldError("end", "must be after start")
    impact_start = instant(row, "impact_start", tz, required=False) or start
    impact_end = instant(row, "impact_end", tz, required=False) or end
    if impact_start < start:
        raise FieldError("impact_start", "is before start; users are impacted within the outage's own times")
    if end is not None and impact_start > end:
        raise FieldError("impact_start", "is after end; users are impacted within the outage's own times")
    if impact_end is not None:
        if end is not None and impact_end > end:
            raise FieldError("impact_end", "is after end; users are impacted within the outage's own times")
        if impact_end < impact_start:
            raise FieldError("impact_end", "is before impact_start")
    return Outage(
        service=service,
        started_at=start,
        ended_at=end,
        impact_start=impact_start,
        impact_end=impact_end,
        planned=boolean(row, "planned", default=False),
        ticket_id=_ticket(row),
        origin="import",
        opened_by=IMPORTED_BY,
        closed_by=IMPORTED_BY if end is not None else None,
    )


def _ticket(row: dict[str, str]) -> int | None:
    raw = row.get("ticket", "").strip()
    if not raw:
        return None
    try:
        return parse_ref(raw)
    except UserError as exc:
        raise FieldError("ticket", str(exc)) from None
