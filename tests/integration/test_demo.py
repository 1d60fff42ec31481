"""Demo data: a month loaded into a real SQLite file, checked against the domain's own rules.

The figures are checked from what was stored (events replayed, FCR re-derived), not from the report,
so a loader that wrote something the bot could not have produced would fail here.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select

from intents.catalogue import Catalogue, Intent, SelfHelp
from servicebot.bootstrap import Services, build_services
from servicebot.config import load_settings
from servicebot.demo import load_demo
from servicebot.domain.fcr import fcr_rate
from servicebot.domain.tickets import OPEN_STATUSES, Ticket
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.tables import ticket_events, tickets

EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "servicebot.example.yaml"
LONDON = ZoneInfo("Europe/London")
# October 2016: a whole month with no bank holiday, ending on a Tuesday so the last day leaves work open.
END = datetime(2016, 11, 1, tzinfo=LONDON)
START = datetime(2016, 10, 1, tzinfo=LONDON)


def make_services(path: Path) -> Services:
    settings = load_settings(
        {"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG), "SERVICEBOT_DATABASE_URL": f"sqlite:///{path}"}
    )
    return build_services(settings)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    services = make_services(tmp_path_factory.mktemp("demo") / "t.db")
    report = load_demo(services, months=1, seed=2016, end=END)
    yield services, report
    services.close()


def all_rows(services: Services) -> tuple[list[Any], list[Any]]:
    with services.db.transaction() as session:
        ticket_rows = session.execute(select(tickets).order_by(tickets.c.id)).all()
        event_rows = session.execute(select(ticket_events).order_by(ticket_events.c.id)).all()
    return [tuple(r) for r in ticket_rows], [tuple(r) for r in event_rows]


def ticket_ids(services: Services, desk: str | None = None) -> list[int]:
    query = select(tickets.c.id).order_by(tickets.c.id)
    if desk is not None:
        query = query.where(tickets.c.desk == desk)
    with services.db.transaction() as session:
        return [int(i) for i in session.execute(query).scalars()]


def test_volume_is_at_the_published_scale(loaded: tuple[Services, str]) -> None:
    services, report = loaded
    ict = len(ticket_ids(services, "ict"))
    assert 5_500 <= ict <= 7_500
    total = len(ticket_ids(services))
    assert f"Wrote {total:,} demo tickets" in report
    if services.catalogue.for_desk("contact"):
        assert 100 <= total - ict <= 800


def test_contacts_arrive_in_working_hours_mostly_and_mondays_most(loaded: tuple[Services, str]) -> None:
    services, _ = loaded
    with services.db.transaction() as session:
        created = session.execute(select(tickets.c.created_at).where(tickets.c.desk == "ict")).scalars().all()
    local = [c.astimezone(LONDON) for c in created]
    assert all(START <= c < END for c in local)
    in_hours = sum(8 <= c.hour < 18 for c in local if c.weekday() < 5)
    assert in_hours / len(local) > 0.9
    per_weekday = Counter(c.weekday() for c in local)
    days_of = Counter(date(2016, 10, d).weekday() for d in range(1, 32))
    average = {wd: per_weekday[wd] / days_of[wd] for wd in range(7)}
    assert max(average, key=lambda wd: average[wd]) == 0
    assert average[5] + average[6] < 0.15 * average[2]


def test_fcr_recomputed_from_stored_events(loaded: tuple[Services, str]) -> None:
    services, _ = loaded
    ids = ticket_ids(services, "ict")
    with services.db.transaction() as session:
        histories = [ticket_rows.history(session, i) for i in ids]
    rate = fcr_rate(histories)
    assert rate.percent is not None
    assert 68.0 <= rate.percent <= 80.0
    assert rate.resolved > 0.9 * len(histories)
    assert f"first-contact resolution {rate.percent:.1f}%" in loaded[1]


def test_projection_equals_replayed_history(loaded: tuple[Services, str]) -> None:
    services, _ = loaded
    sample = random.Random(0).sample(ticket_ids(services), 200)
    fields = [c.name for c in tickets.columns]
    with services.db.transaction() as session:
        for ticket_id in sample:
            row = session.execute(select(tickets).where(tickets.c.id == ticket_id)).one()
            history = ticket_rows.history(session, ticket_id)
            replayed = Ticket.replay(history)
            expected = {name: getattr(replayed, name) for name in fields}
            expected["status"] = replayed.status.value
            assert row._asdict() == expected, ticket_id
            times = [e.at for e in history]
            assert times == sorted(times)
            assert all(t.tzinfo is UTC and t < END for t in times)


def test_some_recent_tickets_are_still_open(loaded: tuple[Services, str]) -> None:
    services, _ = loaded
    with services.db.transaction() as session:
        counted = session.execute(select(tickets.c.status, func.count()).group_by(tickets.c.status)).all()
    by_status = {status: int(n) for status, n in counted}
    open_now = sum(by_status.get(s.value, 0) for s in OPEN_STATUSES)
    assert 20 <= open_now <= 1000
    assert by_status.get("in_progress", 0) > 0 and by_status.get("triaged", 0) > 0


def test_ratings_are_a_minority_and_mostly_positive(loaded: tuple[Services, str]) -> None:
    services, _ = loaded
    with services.db.transaction() as session:
        ratings = Counter(
            session.execute(select(tickets.c.rating).where(tickets.c.rating.is_not(None))).scalars()
        )
        resolved = session.execute(
            select(func.count()).select_from(tickets).where(tickets.c.resolved_at.is_not(None))
        ).scalar_one()
    received = ratings[True] + ratings[False]
    assert 0.08 <= received / resolved <= 0.18
    assert ratings[True] / received >= 0.9


def test_same_seed_and_end_give_identical_rows(loaded: tuple[Services, str], tmp_path: Path) -> None:
    services, report = loaded
    again = make_services(tmp_path / "again.db")
    try:
        assert load_demo(again, months=1, seed=2016, end=END) == report
        assert all_rows(again) == all_rows(services)
    finally:
        again.close()


def test_if_empty_leaves_a_loaded_database_alone(loaded: tuple[Services, str]) -> None:
    services, _ = loaded

    def counts() -> tuple[int, int]:
        with services.db.transaction() as session:
            return (
                session.execute(select(func.count()).select_from(tickets)).scalar_one(),
                session.execute(select(func.count()).select_from(ticket_events)).scalar_one(),
            )

    before = counts()
    report = load_demo(services, months=1, seed=7, end=END, if_empty=True)
    assert f"already holds {before[0]:,} tickets" in report and "no demo data was written" in report
    assert counts() == before


def test_both_desks_get_data_from_a_small_catalogue(tmp_path: Path) -> None:
    def intent(intent_id: str, desk: str, queue: str, *, self_help: bool = False) -> Intent:
        return Intent(
            id=intent_id,
            desk=desk,
            title=intent_id.replace("_", " "),
            queue=queue,
            owner_group="Team",
            examples=(f"help with {intent_id}", f"{intent_id} again"),
            self_help=SelfHelp(title="Try this", text="Steps") if self_help else None,
        )

    catalogue = Catalogue(
        [
            intent("password_reset", "ict", "ict-accounts", self_help=True),
            intent("printer_problem", "ict", "ict-hardware"),
            intent("missed_bin", "contact", "waste"),
            intent("pothole", "contact", "highways"),
        ]
    )
    services = dataclasses.replace(make_services(tmp_path / "small.db"), catalogue=catalogue)
    try:
        load_demo(services, months=1, seed=1, end=END)
        ict, contact = ticket_ids(services, "ict"), ticket_ids(services, "contact")
        assert 5_500 <= len(ict) <= 7_500
        assert 100 <= len(contact) <= 800
        with services.db.transaction() as session:
            intents = set(session.execute(select(tickets.c.intent).distinct()).scalars())
            self_served = session.execute(
                select(func.count())
                .select_from(ticket_events)
                .where(
                    ticket_events.c.kind == "resolved",
                    ticket_events.c.data["resolution"].as_string() == "self_service",
                )
            ).scalar_one()
        assert intents <= {"password_reset", "printer_problem", "missed_bin", "pothole", None}
        assert self_served > 0
    finally:
        services.close()


def test_end_must_be_time_zone_aware(loaded: tuple[Services, str]) -> None:
    with pytest.raises(ValueError, match="time zone-aware"):
        load_demo(loaded[0], months=1, end=datetime(2016, 11, 1))


def test_agents_work_on_the_configured_calendar(loaded: tuple[Services, str], tmp_path: Path) -> None:
    """The demo's working time is the domain calendar's: a closure in config empties that day of agents."""
    closed = date(2016, 10, 12)  # an ordinary Wednesday

    def agent_days(services: Services) -> set[date]:
        with services.db.read() as session:
            rows = session.execute(
                select(ticket_events.c.at).where(ticket_events.c.actor.like("U0AGENT%"))
            ).scalars()
            return {at.astimezone(LONDON).date() for at in rows}

    assert closed in agent_days(loaded[0])
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config["working_hours"]["closures"] = [closed.isoformat()]
    path = tmp_path / "closed.yaml"
    path.write_text(yaml.safe_dump(config))
    settings = load_settings(
        {"SERVICEBOT_CONFIG": str(path), "SERVICEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    )
    services = build_services(settings)
    try:
        load_demo(services, months=1, seed=2016, end=END)
        days = agent_days(services)
    finally:
        services.close()
    assert closed not in days
    assert closed - timedelta(days=1) in days and closed + timedelta(days=1) in days
