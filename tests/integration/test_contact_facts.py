"""The `contact_facts` projection is the fold: after any sequence of commands, each ticket's row equals
`contact_facts` of its stored history, and `facts rebuild` from the events alone gives the same rows."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, inspect, select

from servicebot.bootstrap import Services
from servicebot.domain.errors import UserError
from servicebot.domain.tickets import Ticket
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from servicebot.storage import facts as facts_rows
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.facts import FactsProjection
from servicebot.storage.tables import contact_facts
from tests.conftest import AGENT, MANAGER, REQUESTER, Clock

SHARED = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
AGENT_ACTOR = Actor(AGENT, Role.AGENT)
REQUESTER_ACTOR = Actor(REQUESTER, Role.REQUESTER)
MANAGER_ACTOR = Actor(MANAGER, Role.MANAGER)
QUERIES = [
    "I forgot my password and I'm locked out",
    "the printer on floor 2 is jammed",
    "my VPN keeps dropping",
    "outlook says my mailbox is full",
    "pothole on the high street",
]

# One step: a command and who gives it, with minutes passing first (across nights, weekends, clock changes).
steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "assign",
                "resolve",
                "escalate",
                "transfer",
                "reopen",
                "follow_up",
                "comment",
                "rate_up",
                "rate_down",
                "fixed",
                "notfixed",
            ]
        ),
        st.sampled_from([AGENT_ACTOR, REQUESTER_ACTOR, MANAGER_ACTOR]),
        st.integers(min_value=1, max_value=60 * 24 * 4),
    ),
    max_size=12,
)


def _run(services: Services, ticket_id: int, verb: str, actor: Actor) -> None:
    tickets = services.tickets
    commands: dict[str, Any] = {
        "assign": lambda: tickets.assign(ticket_id, actor),
        "resolve": lambda: tickets.resolve(ticket_id, actor),
        "escalate": lambda: tickets.escalate(ticket_id, actor),
        "transfer": lambda: tickets.transfer(ticket_id, actor, "ict-network"),
        "reopen": lambda: tickets.reopen(ticket_id, actor, "still broken"),
        "follow_up": lambda: tickets.follow_up(ticket_id, actor, "called back"),
        "comment": lambda: tickets.comment(ticket_id, actor, "any news?"),
        "rate_up": lambda: tickets.rate(ticket_id, actor, True),
        "rate_down": lambda: tickets.rate(ticket_id, actor, False),
        "fixed": lambda: tickets.self_help_result(ticket_id, actor, True),
        "notfixed": lambda: tickets.self_help_result(ticket_id, actor, False),
    }
    with contextlib.suppress(UserError):  # a command the ticket's state refuses changes nothing
        commands[verb]()


def _stored_rows(services: Services) -> dict[int, dict[str, Any]]:
    with services.db.read() as session:
        return {row.ticket_id: dict(row._mapping) for row in session.execute(select(contact_facts))}


def _folded_rows(services: Services) -> dict[int, dict[str, Any]]:
    projection = FactsProjection(services.settings.calendar())
    folded = {}
    with services.db.read() as session:
        for ticket in ticket_rows.list_tickets(session, ticket_rows.TicketFilter(limit=100_000)):
            history = ticket_rows.history(session, ticket.id)
            folded[ticket.id] = projection.row_of(Ticket.replay(history))
    return folded


@given(query=st.sampled_from(QUERIES), script=steps, start=st.integers(0, 365 * 24 * 60))
@SHARED
def test_the_projection_equals_the_fold_after_any_commands(
    services: Services, clock: Clock, query: str, script: list[tuple[str, Actor, int]], start: int
) -> None:
    clock.now = datetime(2016, 1, 1, tzinfo=UTC)
    clock.advance(minutes=start)
    intake = services.intake.log_query(query, REQUESTER_ACTOR, Source("console"), desk="ict")
    ticket_id = intake.ticket.id
    for verb, actor, minutes in script:
        clock.advance(minutes=minutes)
        _run(services, ticket_id, verb, actor)
    stored, folded = _stored_rows(services), _folded_rows(services)
    assert stored[ticket_id] == folded[ticket_id]
    assert stored == folded  # every ticket so far, not only this one


def test_rebuild_from_the_events_gives_the_same_rows(services: Services, clock: Clock) -> None:
    for n, query in enumerate(QUERIES):
        ticket_id = services.intake.log_query(query, REQUESTER_ACTOR, Source("console"), desk="ict").ticket.id
        clock.advance(hours=n + 1)
        _run(services, ticket_id, "assign", AGENT_ACTOR)
        clock.advance(hours=30)
        _run(services, ticket_id, "escalate" if n % 2 else "resolve", AGENT_ACTOR)
        _run(services, ticket_id, "resolve", AGENT_ACTOR)
        _run(services, ticket_id, "rate_up", REQUESTER_ACTOR)
    before = _stored_rows(services)
    assert len(before) == len(QUERIES)
    indexes = _index_sql(services)
    assert len(indexes) >= 3
    with services.db.transaction() as session:
        session.execute(delete(contact_facts))
    with services.db.transaction() as session:
        assert facts_rows.missing_count(session) == len(QUERIES)
        done = FactsProjection(services.settings.calendar()).rebuild(session)
    assert done == len(QUERIES)
    assert _stored_rows(services) == before
    # The rebuild sets the indexes aside while it writes and gives back exactly the ones the file had.
    assert _index_sql(services) == indexes


def _index_sql(services: Services) -> list[tuple[str, str]]:
    with services.db.read() as session:
        found = inspect(session.connection()).get_indexes("contact_facts")
    return sorted((str(i["name"]), repr((i["column_names"], i["unique"]))) for i in found)


def test_a_row_says_why_a_contact_was_not_resolved_first_time(services: Services, clock: Clock) -> None:
    # Logged on a Friday afternoon, passed to another team, fixed on Monday morning: 66 hours elapsed,
    # but only Friday 16:00-18:00 and Monday 08:00-10:00 of working time.
    clock.now = datetime(2016, 12, 2, 16, 0, tzinfo=UTC)  # Friday, GMT
    ticket_id = services.intake.log_query(
        QUERIES[1], REQUESTER_ACTOR, Source("console"), desk="ict"
    ).ticket.id
    clock.advance(minutes=10)
    services.tickets.transfer(ticket_id, AGENT_ACTOR, "ict-network")
    clock.now = datetime(2016, 12, 5, 10, 0, tzinfo=UTC)  # Monday
    services.tickets.resolve(ticket_id, AGENT_ACTOR)
    row = _stored_rows(services)[ticket_id]
    assert row["resolved"] is True and row["first_contact"] is False
    assert row["reasons"] == "transferred" and row["transferred"] is True and row["escalated"] is False
    assert row["fix_seconds"] == (3 * 24 - 6) * 3600
    assert row["fix_working_seconds"] == 4 * 3600
    assert (row["logged_month"], row["resolved_day"]) == ("2016-12", "2016-12-05")
    assert row["first_response_seconds"] == 600


def test_a_local_month_is_the_councils_month(services: Services, clock: Clock) -> None:
    # 23:30 UTC on 31 March 2017 is 00:30 BST on 1 April: April's contact, in the new financial year.
    clock.now = datetime(2017, 3, 31, 23, 30, tzinfo=UTC)
    ticket_id = services.intake.log_query(
        QUERIES[0], REQUESTER_ACTOR, Source("console"), desk="ict"
    ).ticket.id
    row = _stored_rows(services)[ticket_id]
    assert (row["logged_day"], row["logged_month"]) == ("2017-04-01", "2017-04")
