"""The kinds of file `servicebot import` takes: for each, how its rows are read and where they are written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from servicebot.imports import calls, tickets
from servicebot.imports.csvfile import Parsed
from servicebot.services import past_tickets
from servicebot.services.imports import ImportContext, Importer, Written
from servicebot.services.outages import outage_importer
from servicebot.storage import calls as call_rows


def _parse_calls(content: str, name: str, context: ImportContext) -> Parsed[Any]:
    return calls.parse(content, name, frozenset(context.settings.desks), context.settings.tz)


def _write_calls(session: Session, records: list[Any], batch: str, context: ImportContext) -> Written:
    return Written(*call_rows.upsert(session, records, batch))


def _parse_tickets(content: str, name: str, context: ImportContext) -> Parsed[Any]:
    rules = past_tickets.desk_rules(context.settings, context.catalogue)
    return tickets.parse(content, name, rules, context.settings.tz, context.now)


def _write_tickets(session: Session, records: list[Any], batch: str, context: ImportContext) -> Written:
    rules = past_tickets.desk_rules(context.settings, context.catalogue)
    new, unchanged = past_tickets.write(session, records, rules, context.settings.calendar())
    return Written(new=new, unchanged=unchanged)


# Every kind `servicebot import` takes. `values` is built by the KPI service (it checks rows against the
# loaded definitions), so it joins the list in bootstrap; tests/integration/test_metrics.py checks the two.
KINDS = ("calls", "outages", "tickets", "values")

IMPORTERS: list[Importer] = [
    Importer("calls", ",".join(calls.COLUMNS), _parse_calls, _write_calls),
    Importer("tickets", ",".join((*tickets.REQUIRED, *tickets.OPTIONAL)), _parse_tickets, _write_tickets),
    outage_importer(),
]
