"""The desk's figures from SQL aggregates over the contact facts and the imported telephony, checked
against tickets whose outcomes the test sets up by hand, and the imports that feed them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servicebot.bootstrap import Services
from servicebot.domain.kpis import Measure
from servicebot.domain.periods import Period
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from servicebot.storage.tables import call_stats, contact_facts, ticket_events, tickets
from tests.conftest import AGENT, REQUESTER, Clock

NOV, DEC = Period(2016, 11), Period(2016, 12)
AGENT_ACTOR = Actor(AGENT, Role.AGENT)
REQUESTER_ACTOR = Actor(REQUESTER, Role.REQUESTER)


def log(services: Services, text: str = "the printer on floor 2 is jammed") -> int:
    return services.intake.log_query(text, REQUESTER_ACTOR, Source("console"), desk="ict").ticket.id


@pytest.fixture
def december(services: Services, clock: Clock) -> Services:
    """Five contacts in December 2016: two fixed first time (one rated up, one down), one escalated to
    the 2nd line, one still open, and one fixed in January."""
    clock.now = datetime(2016, 12, 5, 9, 0, tzinfo=UTC)  # Monday
    first = log(services)
    clock.advance(minutes=10)
    services.tickets.assign(first, AGENT_ACTOR)  # first response after 10 minutes
    clock.advance(minutes=50)
    services.tickets.resolve(first, AGENT_ACTOR)  # fixed in 1 hour
    services.tickets.rate(first, REQUESTER_ACTOR, True)

    second = log(services, "my VPN keeps dropping")
    clock.advance(minutes=30)
    services.tickets.resolve(second, AGENT_ACTOR)  # 30 minutes, no assign: the resolve is the response
    services.tickets.rate(second, REQUESTER_ACTOR, False)

    third = log(services, "outlook says my mailbox is full")
    clock.advance(minutes=5)
    services.tickets.escalate(third, AGENT_ACTOR)  # from the 1st line's queue: an escalation
    clock.advance(hours=3, minutes=25)
    services.tickets.resolve(third, AGENT_ACTOR)  # 3.5 hours, not first contact

    log(services, "I forgot my password and I'm locked out")  # still open

    fourth = log(services, "the printer on floor 3 is jammed")
    clock.now = datetime(2017, 1, 3, 9, 0, tzinfo=UTC)
    services.tickets.resolve(fourth, AGENT_ACTOR)  # resolved in January
    return services


def test_first_contact_resolution_counts_contacts_resolved_in_the_month(december: Services) -> None:
    fcr = december.metrics.series("fcr:ict", [NOV, DEC, Period(2017, 1)])
    assert fcr[DEC] == Measure(pytest.approx(100 * 2 / 3), 2, 3)  # type: ignore[arg-type]
    assert fcr[Period(2017, 1)] == Measure(100.0, 1, 1)
    assert NOV not in fcr  # nothing resolved: no figure, rather than 0%


def test_contacts_ratings_time_to_fix_and_first_response(december: Services) -> None:
    metrics = december.metrics
    assert metrics.series("contacts:ict", [DEC])[DEC] == Measure(5.0)
    assert metrics.series("positive_rating:ict", [DEC])[DEC] == Measure(50.0, 1, 2)
    assert metrics.series("ratings:ict", [DEC])[DEC] == Measure(2.0)
    fix = metrics.series("time_to_fix_hours:ict", [DEC])[DEC]
    assert fix.denominator == 3 and fix.value == pytest.approx((1 + 0.5 + 3.5) / 3)
    response = metrics.series("first_response_minutes:ict", [DEC])[DEC]
    # 10, 30 and 5 minutes; the January fix was the fourth ticket's first response, logged in December.
    assert response.denominator == 4
    assert metrics.series("escalation_rate:ict", [DEC])[DEC] == Measure(20.0, 1, 5)
    assert metrics.series("transfer_rate:ict", [DEC])[DEC] == Measure(0.0, 0, 5)


def test_working_hours_time_to_fix_pauses_overnight(services: Services, clock: Clock) -> None:
    clock.now = datetime(2016, 12, 9, 17, 0, tzinfo=UTC)  # Friday 17:00
    ticket = log(services)
    clock.now = datetime(2016, 12, 12, 9, 0, tzinfo=UTC)  # Monday 09:00
    services.tickets.resolve(ticket, AGENT_ACTOR)
    assert services.metrics.series("time_to_fix_hours:ict", [DEC])[DEC].value == 64.0
    assert services.metrics.series("time_to_fix_working_hours:ict", [DEC])[DEC].value == 2.0


def test_backlog_at_month_ends_and_volumes(december: Services) -> None:
    assert december.metrics.backlog("ict", [NOV, DEC, Period(2017, 1)]) == {
        NOV: 0,
        DEC: 2,  # the open one and the one fixed in January
        Period(2017, 1): 1,
    }
    queues = dict(december.metrics.volumes("ict", DEC, "source"))
    assert queues == {"console": 5}


def test_unknown_sources_are_named(services: Services) -> None:
    from servicebot.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no metric 'fcrr'"):
        services.metrics.series("fcrr:ict", [DEC])
    with pytest.raises(InvalidInput, match="needs a desk after the colon"):
        services.metrics.series("fcr:hr", [DEC])


CALLS = (
    "date,desk,line,offered,answered,answered_within_40s,abandoned,total_wait_seconds,total_handle_seconds\n"
    "2016-12-05,contact,main line,1000,950,800,50,19000,285000\n"
    "2016-12-06,contact,main line,1000,900,700,100,27000,270000\n"
    "2016-12-06,contact,highways,500,500,500,0,5000,150000\n"
    "2016-11-30,contact,main line,100,100,100,0,100,100\n"
    "2016-12-05,ict,service desk,300,290,250,10,9000,104400\n"
)


def test_telephony_figures_are_ratios_of_sums(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(CALLS, encoding="utf-8")
    report = services.imports.run("calls", path)
    assert (report.rows, report.problems, report.written.new) == (5, (), 5)
    series = services.metrics.series
    assert series("calls_answered:contact", [DEC])[DEC] == Measure(100 * 2350 / 2500, 2350, 2500)
    assert series("calls_within_40s:contact", [DEC])[DEC] == Measure(100 * 2000 / 2350, 2000, 2350)
    assert series("average_wait_seconds:contact", [DEC])[DEC] == Measure(51000 / 2350, 51000, 2350)
    assert series("average_handle_seconds:ict", [DEC])[DEC] == Measure(360.0, 104400, 290)
    assert series("calls_answered_count:contact", [NOV, DEC]) == {NOV: Measure(100.0), DEC: Measure(2350.0)}
    assert series("abandonment_rate:contact", [DEC])[DEC] == Measure(100 * 150 / 2500, 150, 2500)
    assert services.metrics.calls_by_line("contact", DEC) == [
        ("main line", 2000, 1850),
        ("highways", 500, 500),
    ]


def test_importing_the_same_file_again_changes_nothing_and_a_correction_updates(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(CALLS, encoding="utf-8")
    dry = services.imports.run("calls", path, dry_run=True)
    assert (dry.written.new, dry.dry_run) == (5, True)
    with services.db.read() as session:
        assert session.execute(select(func.count()).select_from(call_stats)).scalar_one() == 0
    services.imports.run("calls", path)
    again = services.imports.run("calls", path)
    assert (again.written.new, again.written.updated, again.written.unchanged) == (0, 0, 5)
    path.write_text(CALLS.replace("300,290,250", "300,290,251"), encoding="utf-8")
    corrected = services.imports.run("calls", path)
    assert (corrected.written.new, corrected.written.updated, corrected.written.unchanged) == (0, 1, 4)
    assert services.metrics.series("calls_within_40s:ict", [DEC])[DEC].numerator == 251


PAST = (
    "ref,desk,logged_at,requester,source,intent,first_response_at,resolved_at,resolver,"
    "escalated,transferred,follow_up,reopened,self_service,rating\n"
    "INC1,ict,2016-12-05T09:00,U1,phone,printer_problem,2016-12-05T09:05,2016-12-05T09:20,U9,,,,,,positive\n"
    "INC2,ict,2016-12-05T10:00,U2,email,vpn_remote_access,2016-12-05T10:30,2016-12-06T12:00,U9,true,,,,,negative\n"
    "INC3,ict,2016-12-05T11:00,U3,portal,,,2016-12-05T11:30,,,,,,true,\n"
    "INC4,ict,2016-12-05T11:00,U3,phone,,,2016-12-07T11:00,U8,,true,,true,,\n"
    "INC5,ict,2016-12-05T12:00,U4,phone,,,,,,,true,,,\n"
    "INC6,ict,2016-12-05T12:00,U4,phone,,,,,,,,true,,\n"
)


def test_past_tickets_become_histories_whose_facts_say_what_the_row_said(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "past.csv"
    path.write_text(PAST, encoding="utf-8")
    report = services.imports.run("tickets", path)
    assert [str(p) for p in report.problems] == ["row 7, reopened: is true but the ticket has no resolved_at"]
    assert report.written.new == 5
    with services.db.read() as session:
        rows = {
            r.ticket_id: r for r in session.execute(select(contact_facts).order_by(contact_facts.c.ticket_id))
        }
    facts = list(rows.values())
    assert [(f.first_contact, f.reasons, f.source) for f in facts] == [
        (True, "", "phone"),
        (False, "escalated", "email"),
        (True, "", "portal"),
        (False, "transferred,reopened", "phone"),
        (False, "follow-up contact", "phone"),
    ]
    assert [f.rating for f in facts] == [True, False, None, None, None]
    assert facts[2].self_service is True and facts[0].first_response_seconds == 300
    fcr = services.metrics.series("fcr:ict", [DEC])[DEC]
    assert (fcr.numerator, fcr.denominator) == (2, 4)
    # Imported once, under the old reference: a second import adds nothing.
    again = services.imports.run("tickets", path)
    assert (again.written.new, again.written.unchanged) == (0, 5)
    with services.db.read() as session:
        assert session.execute(select(func.count()).select_from(tickets)).scalar_one() == 5
    # And the history is the aggregate's own: rebuilding the facts from the events gives the same rows.
    services.facts.rebuild()
    with services.db.read() as session:
        rebuilt = {r.ticket_id: r for r in session.execute(select(contact_facts))}
        assert session.execute(select(func.count()).select_from(ticket_events)).scalar_one() > 5
    assert rebuilt == rows


def test_a_dry_run_of_past_tickets_writes_nothing(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "past.csv"
    path.write_text(PAST, encoding="utf-8")
    dry = services.imports.run("tickets", path, dry_run=True)
    assert dry.written.new == 5
    with services.db.read() as session:
        assert session.execute(select(func.count()).select_from(tickets)).scalar_one() == 0


def test_availability_is_a_metric_source_like_any_other(services: Services, tmp_path: Path) -> None:
    # Email down 10:00-12:00 on Monday 5 December 2016: 2 of December's 200 working hours (22 weekdays
    # less the Boxing Day and Christmas substitute bank holidays, 10 hours each).
    path = tmp_path / "outages.csv"
    path.write_text("service,start,end\nemail,2016-12-05T10:00,2016-12-05T12:00\n", encoding="utf-8")
    assert services.imports.run("outages", path).written.new == 1
    email = services.metrics.series("availability:email", [NOV, DEC, Period(2017, 1)])
    # November ended before this database's first record (that outage): unknown, not 100%. January, with
    # no outage, was available all its working hours.
    assert NOV not in email
    january = email[Period(2017, 1)]
    assert january.value == 100.0 and january.numerator == january.denominator > 0
    assert email[DEC] == Measure(99.0, 198 * 3600, 200 * 3600)
    from servicebot.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no service 'mail'; the services are network, ict, email"):
        services.metrics.series("availability:mail", [DEC])


def test_the_dashboard_reports_downtime_and_planned_maintenance_beside_availability(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "outages.csv"
    path.write_text(
        "service,start,end,planned\n"
        "ict,2016-12-05T10:00,2016-12-05T12:00,false\n"
        "ict,2016-12-06T09:00,2016-12-06T12:00,true\n",
        encoding="utf-8",
    )
    services.imports.run("outages", path)
    board = services.kpis.dashboard(DEC)
    [ict04] = [row for row in board.kpis if row.definition.source == "availability:ict"]
    assert ict04.value == 99.0 and ict04.rag is not None and ict04.rag.value == "GREEN"
    assert ict04.note == "downtime 2.0 h; planned maintenance 3.0 h, not counted"
    from servicebot.reports import render

    assert "99.0% (downtime 2.0 h; planned maintenance 3.0 h, not counted)" in render(board, "md")
    assert json.loads(render(board, "json"))["kpis"][3]["note"].startswith("downtime 2.0 h")


def test_a_source_that_cannot_be_computed_is_refused_at_load_and_never_breaks_a_dashboard(
    services: Services, tmp_path: Path
) -> None:
    from servicebot.kpis.definitions import DEFAULT_FILE, KpiDefinitionsError

    broken = tmp_path / "kpis.yaml"
    broken.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8")
        .replace("source: availability:email", "source: availability:printers")
        .replace("source: fcr:ict", "source: fcr:hr"),
        encoding="utf-8",
    )
    with pytest.raises(KpiDefinitionsError) as refused:
        services.kpis.load_definitions(broken)
    assert "ICT01: source 'fcr:hr'" in str(refused.value) and "ICT05: source 'availability:printers'" in str(
        refused.value
    )
    # A service taken out of the configuration after its KPI was loaded: that row has no figure; the
    # rest of the dashboard still renders.
    from servicebot.bootstrap import build_kpis

    others = tuple(s for s in services.settings.services if s.id != "email")
    fewer = services.settings.model_copy(update={"services": others})
    board = build_kpis(services.db, fewer).dashboard(DEC)
    [ict05] = [row for row in board.kpis if row.definition.source == "availability:email"]
    assert ict05.value is None and len(board.kpis) > 5
