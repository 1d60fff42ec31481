"""Past tickets into the ticket store: each row's history built through the ticket aggregate's commands,
then written in bulk (projection rows, events, contact facts and the source key that makes a second import
of the same file a no-op). An imported ticket is never changed afterwards: its history is append-only, so
a corrected row for a reference already imported is counted as unchanged, not rewritten."""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from intents.catalogue import Catalogue
from servicebot.config import Settings
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.tickets import SYSTEM_ACTOR, Resolution, Ticket, TriageDecision
from servicebot.imports.tickets import DeskRules, PastTicket
from servicebot.storage import sources
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.bulk import (
    indexes_set_aside,
    insert_rows,
    wide_sqlite_cache,
)
from servicebot.storage.facts import FactsProjection
from servicebot.storage.tables import contact_facts as facts_table
from servicebot.storage.tables import ticket_events, ticket_sources
from servicebot.storage.tables import tickets as tickets_table

SOURCE_PREFIX = "import:"
_CHUNK = 20_000


def desk_rules(settings: Settings, catalogue: Catalogue) -> dict[str, DeskRules]:
    rules = {}
    for desk in settings.desks.values():
        intents = {i.id: i.queue for i in catalogue.for_desk(desk.id)}
        rules[desk.id] = DeskRules(
            queues={q.id: q.line for q in desk.queues},
            intents=intents,
            default_queue=desk.default_queue,
            second_line_queue=desk.second_line_queue,
        )
    return rules


def _midpoint(start: datetime, end: datetime, share: float) -> datetime:
    return start + (end - start) * share


def history_of(ticket_id: int, past: PastTicket, rules: DeskRules) -> Ticket:
    """The history the row describes. Steps whose time the old system did not keep happen at the first
    response (or when logged), and a reopening sits between a first and the final resolution."""
    lines = rules.queues
    routed = past.queue or (rules.intents.get(past.intent) if past.intent else None)
    final = routed or (rules.second_line_queue if past.escalated else rules.default_queue)
    if past.escalated and lines[final] <= lines[rules.default_queue]:
        final = rules.second_line_queue
    passed_on = past.escalated or past.transferred
    start = rules.default_queue if passed_on else final
    ticket = Ticket.open(
        ticket_id,
        desk=past.desk,
        requester=past.requester,
        text=past.text,
        source=past.source,
        queue=rules.default_queue,
        at=past.logged_at,
        origin={"imported": past.ref},
    )
    logged = past.logged_at
    if past.intent is not None or start != rules.default_queue:
        intent = past.intent
        ticket.triage(TriageDecision(intent, start, "P3", 1.0, "imported"), SYSTEM_ACTOR, logged)
    worked_at = past.first_response_at or logged
    agent = past.resolver
    if past.first_response_at is not None:
        ticket.assign(agent, agent, past.first_response_at)
    if past.escalated:
        ticket.escalate(final, agent, worked_at)
    if past.transferred:
        current = ticket.queue
        target = final if final != current else _another_queue(rules, current)
        ticket.transfer(target, agent, worked_at)
    if past.follow_up:
        ticket.follow_up(past.requester, worked_at)
    if past.resolved_at is not None:
        if past.reopened:
            ticket.resolve(agent, _midpoint(worked_at, past.resolved_at, 1 / 3))
            ticket.reopen(past.requester, _midpoint(worked_at, past.resolved_at, 2 / 3))
        if past.self_service:
            ticket.resolve(past.requester, past.resolved_at, resolution=Resolution.SELF_SERVICE)
        else:
            ticket.resolve(agent, past.resolved_at)
        if past.rating is not None:
            ticket.rate(past.requester, past.rating, past.rated_at or past.resolved_at)
    return ticket


def _another_queue(rules: DeskRules, current: str | None) -> str:
    """Somewhere to have been transferred to when the row names no other queue: the same line first."""
    line = rules.queues.get(current or "", 1)
    others = [q for q in rules.queues if q != current]
    same_line = [q for q in others if rules.queues[q] == line]
    return (same_line or others)[0]


def write(
    session: Session,
    records: list[PastTicket],
    rules: Mapping[str, DeskRules],
    calendar: WorkingCalendar,
) -> tuple[int, int]:
    """(new, already imported)."""
    keys = [SOURCE_PREFIX + past.ref for past in records]
    existing = sources.tickets_for_sources(session, keys)
    next_id = ticket_rows.max_ticket_id(session) + 1
    new = [(past, key) for past, key in zip(records, keys, strict=True) if key not in existing]
    numbered = [(next_id + i, past, key) for i, (past, key) in enumerate(new)]
    # A million records, and every chunk's histories and rows, are alive at once and hold no reference
    # cycles: the cyclic collector would walk them again and again while finding nothing (half the
    # time of building and converting a chunk). It pauses while they are built and written, and the
    # records are frozen so later collections skip them too; both undone after, whatever happens.
    gc.freeze()
    paused = gc.isenabled()
    gc.disable()
    try:
        # Most of a large import's rows are new to the tables: indexes built once at the end (a sort) cost
        # less than keeping them up to date row by row; a small import into a large store keeps them.
        set_aside = _TABLES if len(new) >= ticket_rows.count_tickets(session) else ()
        with wide_sqlite_cache(session), indexes_set_aside(session, set_aside):
            chunks = [numbered[i : i + _CHUNK] for i in range(0, len(numbered), _CHUNK)]
            projection = FactsProjection(calendar)
            for chunk in chunks:
                _flush(session, _batch(chunk, rules, projection))
    finally:
        if paused:
            gc.enable()
        gc.unfreeze()
    if new:
        ticket_rows.sync_ticket_id_sequence(session)
    return len(new), len(records) - len(new)


# The tables a batch fills, in the order they are written: events, facts and sources refer to the ticket.
_TABLES = (tickets_table, ticket_events, facts_table, ticket_sources)
Batch = tuple[list[dict[str, Any]], ...]  # rows of each of _TABLES


def _batch(
    chunk: Sequence[tuple[int, PastTicket, str]], rules: Mapping[str, DeskRules], projection: FactsProjection
) -> Batch:
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for ticket_id, past, key in chunk:
        ticket = history_of(ticket_id, past, rules[past.desk])
        tickets.append(ticket_rows.ticket_row(ticket))
        events.extend(ticket_rows.event_row(e) for e in ticket.pending)
        facts.append(projection.row_of(ticket))
        links.append({"source_key": key, "ticket_id": ticket_id})
    return tickets, events, facts, links


def _flush(session: Session, batch: Batch) -> None:
    # Through the bulk path (no per-value SQLAlchemy processing on SQLite): at a million rows that was most
    # of an import's time.
    for table, rows in zip(_TABLES, batch, strict=True):
        insert_rows(session, table, rows)
