"""Outages against a real migrated SQLite file: the rows, the import, the chat service, the metric."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from servicebot.bootstrap import Services
from servicebot.chat.replies import ServiceOut, StatusReply, TextReply
from servicebot.config import UnknownService
from servicebot.domain.availability import Outage
from servicebot.domain.errors import InvalidInput, NotAllowed
from servicebot.domain.periods import Period
from servicebot.imports.csvfile import ImportFileError
from servicebot.services.actors import Actor, Role
from servicebot.services.imports import ImportService
from servicebot.services.intake import Source
from servicebot.storage import outages as outage_rows
from servicebot.storage.tables import outages
from tests.conftest import AGENT, MANAGER, REQUESTER, Clock

SOURCE = Source("console")
HOUR = 3600.0


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def record(start: datetime, hours: float | None, service: str = "email", **changes: Any) -> Outage:
    end = start + timedelta(hours=hours) if hours is not None else None
    fields: dict[str, Any] = {
        "service": service,
        "started_at": start,
        "ended_at": end,
        "impact_start": start,
        "impact_end": end,
        "origin": "import",
        "opened_by": "import",
    }
    fields.update(changes)
    return Outage(**fields)


def rows(services: Services) -> list[Any]:
    with services.db.read() as session:
        return list(session.execute(select(outages).order_by(outages.c.started_at)).all())


# -- the rows --------------------------------------------------------------------------------------------
def test_upsert_on_service_and_start_says_new_updated_or_unchanged(services: Services) -> None:
    first = record(utc(2017, 3, 7, 10), 2)
    other = record(utc(2017, 3, 7, 10), 1, service="network")
    with services.db.transaction() as session:
        assert outage_rows.upsert(session, [first, other], "a.csv") == ["new", "new"]
    with services.db.transaction() as session:
        assert outage_rows.upsert(session, [first, other], "a.csv") == ["unchanged", "unchanged"]
    corrected = record(utc(2017, 3, 7, 10), 3, planned=True, ticket_id=42)
    with services.db.transaction() as session:
        assert outage_rows.upsert(session, [corrected, other], "b.csv") == ["updated", "unchanged"]
        assert outage_rows.upsert(session, [], "c.csv") == []
    stored = {row.service: row for row in rows(services)}
    assert len(stored) == 2
    email = stored["email"]
    assert email.ended_at == utc(2017, 3, 7, 13) and email.planned is True and email.ticket_id == 42
    assert email.batch == "b.csv" and stored["network"].batch == "a.csv"
    assert email.started_at.tzinfo is not None, "read back aware, in UTC"


def test_open_outages_close_and_overlapping(services: Services) -> None:
    with services.db.transaction() as session:
        closed = outage_rows.insert_outage(session, record(utc(2017, 3, 7, 10), 2))
        still = outage_rows.insert_outage(session, record(utc(2017, 3, 8, 9), None, opened_by="U1"))
        outage_rows.insert_outage(session, record(utc(2017, 3, 6, 9), None, service="network"))
    assert closed.id is not None and still.id is not None
    with services.db.read() as session:
        assert [o.id for o in outage_rows.open_outages(session, "email")] == [still.id]
        assert [o.service for o in outage_rows.open_outages(session)] == ["network", "email"]
        # Half-open: an impact ending exactly at the range's start, or starting at its end, is outside.
        assert outage_rows.overlapping(session, "email", utc(2017, 3, 7, 12), utc(2017, 3, 8, 9)) == []
        found = outage_rows.overlapping(session, "email", utc(2017, 3, 7, 11), utc(2017, 4, 1))
        assert [o.id for o in found] == [closed.id, still.id], "an open impact overlaps everything after it"
    with services.db.transaction() as session:
        ended = outage_rows.close(session, still, utc(2017, 3, 8, 11), "U2")
    assert ended.ended_at == ended.impact_end == utc(2017, 3, 8, 11) and ended.closed_by == "U2"
    with services.db.read() as session:
        assert outage_rows.open_outages(session, "email") == []
        assert outage_rows.find(session, "email", utc(2017, 3, 8, 9)) == ended


# -- the import ------------------------------------------------------------------------------------------
@pytest.fixture
def importer(services: Services) -> ImportService:
    return services.imports  # the command's own service, with every kind of file registered


GOOD_AND_BAD = """service,start,end,impact_start,impact_end,planned,ticket
email,2017-03-07T08:00,2017-03-08T01:10,,2017-03-07T13:00,false,T-00042
network,2017-03-09T16:00,2017-03-09T18:00,,,true,
wifi,2017-03-07T10:00,2017-03-07T12:00,,,,
ict,2017-03-10T10:00,2017-03-10T09:00,,,,
"""


def test_import_keeps_the_good_rows_names_the_bad_and_is_idempotent(
    importer: ImportService, services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "outages.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    report = importer.run("outages", path)
    assert (report.rows, report.valid) == (4, 2)
    assert report.written.new == 2
    assert [str(p) for p in report.problems] == [
        "row 4, service: 'wifi' is not a configured service; choose one of: network, ict, email",
        "row 5, end: must be after start",
    ]
    email, network = rows(services)
    assert email.impact_end == utc(2017, 3, 7, 13) and email.ended_at == utc(2017, 3, 8, 1, 10)
    assert email.ticket_id == 42 and email.origin == "import" and email.batch.startswith("outages.csv ")
    assert network.planned is True

    again = importer.run("outages", path)
    assert (again.written.new, again.written.updated, again.written.unchanged) == (0, 0, 2)
    assert len(rows(services)) == 2

    path.write_text(GOOD_AND_BAD.replace("2017-03-07T13:00", "2017-03-07T12:00"), encoding="utf-8")
    corrected = importer.run("outages", path)
    assert (corrected.written.new, corrected.written.updated, corrected.written.unchanged) == (0, 1, 1)
    assert rows(services)[0].impact_end == utc(2017, 3, 7, 12)


def test_a_dry_run_reports_the_real_counts_and_writes_nothing(
    importer: ImportService, services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "outages.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    report = importer.run("outages", path, dry_run=True)
    assert report.written.new == 2 and report.dry_run
    assert rows(services) == []


def test_an_import_without_the_columns_is_refused_whole(importer: ImportService, tmp_path: Path) -> None:
    path = tmp_path / "outages.csv"
    path.write_text("service,start\nemail,2017-03-07T08:00\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing column"):
        importer.run("outages", path)


# -- from chat -------------------------------------------------------------------------------------------
def test_staff_start_and_end_an_outage_at_the_clock_s_times(services: Services, clock: Clock) -> None:
    agent = services.actor(AGENT)
    started = services.outages.start("Email", agent, "exchange  down")
    assert started.outage.started_at == started.outage.impact_start == clock.now
    assert started.outage.note == "exchange down" and started.outage.opened_by == AGENT
    assert "Email is recorded as out since 23 Nov 09:30, by U0AGENT01" in str(started.message)
    clock.advance(hours=2, minutes=5)
    ended = services.outages.end("email", services.actor(MANAGER))
    assert ended.outage.ended_at == ended.outage.impact_end == clock.now
    assert ended.outage.closed_by == MANAGER
    assert "Email is back" in str(ended.message) and "after 2 h 5 min" in str(ended.message)
    [row] = rows(services)
    assert row.origin == "chat" and row.ended_at == clock.now


def test_a_service_already_out_is_not_started_twice(services: Services) -> None:
    agent = services.actor(AGENT)
    services.outages.start("network", agent)
    with pytest.raises(InvalidInput, match=r"Public Sector Network \(network\) is already out, since 23 Nov"):
        services.outages.start("network", agent)
    assert len(rows(services)) == 1


def test_ending_a_service_that_is_not_out_says_so(services: Services) -> None:
    with pytest.raises(InvalidInput, match=r"Email \(email\) is not out"):
        services.outages.end("email", services.actor(AGENT))


def test_a_requester_cannot_record_outages(services: Services) -> None:
    with pytest.raises(NotAllowed, match="Only service desk agents can record outages"):
        services.outages.start("email", Actor(REQUESTER))
    with pytest.raises(NotAllowed):
        services.outages.end("email", Actor(REQUESTER))
    assert rows(services) == []


def test_an_unknown_service_names_the_configured_ones(services: Services) -> None:
    with pytest.raises(UnknownService, match="Unknown service 'wifi'; choose one of: network, ict, email"):
        services.outages.start("wifi", services.actor(AGENT))


def test_the_conversation_records_outages_and_status_shows_them(services: Services, clock: Clock) -> None:
    conversation, agent = services.conversation, services.actor(AGENT)
    started = conversation.handle("outage start email exchange is down", agent, SOURCE)
    assert isinstance(started, TextReply) and started.ok
    status = conversation.handle("status", Actor(REQUESTER), SOURCE)
    assert isinstance(status, StatusReply)
    assert status.outages == (ServiceOut("email", "Email", clock.now, AGENT, "exchange is down"),)
    twice = conversation.handle("outage start email", agent, SOURCE)
    assert isinstance(twice, TextReply) and not twice.ok and "already out" in str(twice.text)
    refused = conversation.handle("outage end email", Actor(REQUESTER), SOURCE)
    assert (
        isinstance(refused, TextReply) and not refused.ok and "Only service desk agents" in str(refused.text)
    )
    unknown = conversation.handle("outage end wifi", agent, SOURCE)
    assert isinstance(unknown, TextReply) and "choose one of: network, ict, email" in str(unknown.text)
    clock.advance(minutes=30)
    ended = conversation.handle("outage end email", agent, SOURCE)
    assert isinstance(ended, TextReply) and ended.ok and "Email is back" in str(ended.text)
    after = conversation.handle("status ict", agent, SOURCE)
    assert isinstance(after, StatusReply) and after.outages == ()
    usage = conversation.handle("outage", agent, SOURCE)
    assert isinstance(usage, TextReply) and not usage.ok and "outage end <service>" in str(usage.text)


def test_an_imported_open_outage_shows_in_status_and_chat_ends_it(
    importer: ImportService, services: Services, clock: Clock, tmp_path: Path
) -> None:
    path = tmp_path / "outages.csv"
    path.write_text("service,start,end,impact_start,impact_end\nict,2026-11-23T08:00,,,\n", encoding="utf-8")
    assert importer.run("outages", path).written.new == 1
    [out] = services.outages.open_outages()
    assert out.service == "ict" and out.is_open
    with pytest.raises(InvalidInput, match="already out"):
        services.outages.start("ict", services.actor(AGENT))
    ended = services.outages.end("ict", services.actor(AGENT))
    assert ended.outage.ended_at == clock.now and ended.outage.impact_end == clock.now
    assert services.outages.open_outages() == []


def test_ending_a_service_with_two_open_outages_names_both(
    importer: ImportService, services: Services, clock: Clock, tmp_path: Path
) -> None:
    path = tmp_path / "outages.csv"
    path.write_text(
        "service,start,end,impact_start,impact_end\nict,2026-11-23T08:00,,,\nict,2026-11-22T20:30,,,\n",
        encoding="utf-8",
    )
    assert importer.run("outages", path).written.new == 2
    ended = services.outages.end("ict", services.actor(AGENT))
    said = str(ended.message)
    assert "2 open outages are ended by" in said, said
    # Oldest first, each with how long it lasted (clock: 23 Nov 09:30 UTC).
    assert said.index("since 22 Nov 20:30 (13 h 0 min)") < said.index("since 23 Nov 08:00 (1 h 30 min)"), said
    assert ended.outage.started_at < clock.now and services.outages.open_outages() == []


# -- the metric ------------------------------------------------------------------------------------------
@pytest.fixture
def selects(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "outages" in statement:
            seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(services.db.engine, "before_cursor_execute", count)


def test_availability_per_period_with_one_query(services: Services, selects: list[str]) -> None:
    # 2 hours of March 2017 and 2 of April in one outage across the month end, a planned hour in April.
    with services.db.transaction() as session:
        outage_rows.upsert(
            session,
            [
                record(utc(2017, 3, 31, 15), 66),  # Fri 31 Mar 16:00 BST to Mon 3 Apr 10:00 BST
                record(utc(2017, 4, 4, 8), 1, planned=True),
                record(utc(2017, 4, 4, 8), 1, service="network"),
            ],
            "test",
        )
    periods = [Period(2017, 3), Period(2017, 4), Period(2017, 5)]
    selects.clear()
    figures = services.availability.availability("email", periods)
    # The outages, and where the records begin: two queries however many periods are asked for.
    assert len(selects) == 2, selects
    march, april, may = (figures[p] for p in periods)
    assert march.denominator == 23 * 10 * HOUR and march.numerator == march.denominator - 2 * HOUR
    assert april.denominator == 18 * 10 * HOUR and april.numerator == april.denominator - 2 * HOUR
    assert march.value == pytest.approx(100 * (1 - 2 / 230))
    assert may.value == 100.0, "no outage: available 100%"
    detail = services.availability.detail("email", periods)
    assert detail[Period(2017, 4)].planned_seconds == HOUR
    assert detail[Period(2017, 4)].downtime_seconds == 2 * HOUR


def test_availability_of_an_unknown_service_is_refused(services: Services) -> None:
    with pytest.raises(UnknownService):
        services.availability.availability("wifi", [Period(2017, 3)])
    assert services.availability.availability("email", []) == {}


def test_an_open_chat_outage_counts_up_to_now(services: Services, clock: Clock) -> None:
    clock.now = utc(2026, 11, 23, 9, 0)  # Monday, 09:00 GMT
    services.outages.start("email", services.actor(AGENT))
    clock.now = utc(2026, 11, 23, 11, 0)
    november = services.availability.detail("email", [Period(2026, 11)])[Period(2026, 11)]
    # November to date: 15 working days before the 23rd (150 h) and 3 hours of the 23rd.
    assert november.working_seconds == 153 * HOUR
    assert november.downtime_seconds == 2 * HOUR


def test_no_outage_row_is_written_by_a_refused_command(services: Services) -> None:
    with pytest.raises(NotAllowed):
        services.outages.start("email", Actor(REQUESTER))
    with services.db.read() as session:
        assert session.execute(select(func.count()).select_from(outages)).scalar_one() == 0


def test_importing_an_open_outage_again_keeps_the_end_recorded_since(
    services: Services, clock: Clock, tmp_path: Path
) -> None:
    path = tmp_path / "open.csv"
    path.write_text("service,start,end\nemail,2017-03-07T09:00,\n", encoding="utf-8")
    assert services.imports.run("outages", path).written.new == 1
    clock.now = utc(2017, 3, 7, 15)
    services.outages.end("email", Actor(AGENT, Role.AGENT))
    again = services.imports.run("outages", path)
    assert (again.written.updated, again.written.unchanged) == (0, 1)
    [row] = rows(services)
    assert row.ended_at == utc(2017, 3, 7, 15) and services.outages.open_outages() == []


def test_a_note_too_long_to_keep_whole_is_cut_and_the_reply_says_so(services: Services, clock: Clock) -> None:
    started = services.outages.start("email", Actor(AGENT, Role.AGENT), "x" * 600)
    assert started.outage.note == "x" * 500
    assert "The note was cut to its first 500 characters" in str(started.message)
    services.outages.end("email", Actor(AGENT, Role.AGENT))
    # Started again in the same instant it ended: refused in words, not a database error.
    with pytest.raises(InvalidInput, match="starting at this moment is already recorded"):
        services.outages.start("email", Actor(AGENT, Role.AGENT))
    clock.advance(minutes=1)
    short = services.outages.start("email", Actor(AGENT, Role.AGENT), "exchange down")
    assert "cut" not in str(short.message)
