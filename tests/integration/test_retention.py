"""The retention policy on a real database: a closed ticket's words are gone from every table once its period
has passed, open and recently closed tickets keep theirs, every figure stays as it was, and a dry run
changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import MetaData, select, text, update
from sqlalchemy.exc import DBAPIError

from servicebot.bootstrap import Services, build_services
from servicebot.config import ConfigError, Settings
from servicebot.demo import load_demo
from servicebot.domain.periods import Period
from servicebot.domain.tickets import PURGED_TEXT, EventKind
from servicebot.reports import json_report
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from servicebot.storage.db import Database
from servicebot.storage.tables import outbox, ticket_events
from tests.conftest import AGENT, EXAMPLE_CONFIG, REQUESTER, Clock, make_settings

AGENT_ACTOR = Actor(AGENT, Role.AGENT)
REQUESTER_ACTOR = Actor(REQUESTER)


def retention_settings(tmp_path: Path, days: int | None, **env: str) -> Settings:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["retention"] = {"closed_ticket_text_days": days}
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return make_settings(tmp_path, SERVICEBOT_CONFIG=str(path), **env)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))


@pytest.fixture
def kept(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    built = build_services(retention_settings(tmp_path, 30), clock=clock, background_training=False)
    yield built
    built.close()


def everything(db: Database) -> str:
    """Every row of every table, as text: where a word could be kept, it is in here."""
    meta = MetaData()
    meta.reflect(db.engine)
    with db.read() as session:
        return "\n".join(
            repr(row) for table in meta.sorted_tables for row in session.execute(select(table)).all()
        )


def _shown(services: Services, ticket_id: int) -> tuple[Any, list[Any]]:
    return services.queries.get(ticket_id), services.queries.history(ticket_id)


def _log(services: Services, words: str, key: str) -> int:
    source = Source("message", key=key, channel="C0ICTHELP", ts=key)
    return services.intake.log_query(words, REQUESTER_ACTOR, source, "ict").ticket.id


def _said_in_outbox(services: Services, ticket_id: int, words: str, key: str) -> None:
    services.outbox.send(
        key, "chat.postMessage", {"channel": "C0ICTHELP", "text": words}, thread=f"ticket:{ticket_id}"
    )
    with services.db.transaction() as session:
        session.execute(update(outbox).where(outbox.c.key == key).values(status="sent"))


def _received(services: Services, key: str, words: str) -> None:
    assert services.inbox.accept(key, "event", {"type": "event_callback", "event": {"text": words}})
    services.inbox.done(key)


def _story(services: Services, clock: Clock) -> dict[str, int]:
    """A ticket closed 40 days ago with words everywhere they can be; one closed 10 days ago; one open."""
    old = _log(services, "OLDWORDS printer jammed, mail jo@example.org or 07700 900123", "1000.1")
    _received(services, "event:old", "OLDWORDS in the request")
    services.tickets.comment(old, REQUESTER_ACTOR, "OLDWORDS it is still jammed", source="1000.2")
    services.tickets.change_intent(old, "software_install", AGENT_ACTOR)
    services.tickets.escalate(old, AGENT_ACTOR, note="OLDWORDS needs an engineer")
    _said_in_outbox(services, old, "OLDWORDS said back", "card:old")
    clock.advance(hours=2)
    services.tickets.resolve(old, AGENT_ACTOR, note="OLDWORDS replaced the fuser")
    clock.advance(days=30)
    recent = _log(services, "RECENTWORDS cannot log in", "2000.1")
    _received(services, "event:recent", "RECENTWORDS in the request")
    _said_in_outbox(services, recent, "RECENTWORDS said back", "card:recent")
    services.tickets.resolve(recent, AGENT_ACTOR, note="RECENTWORDS reset")
    open_ = _log(services, "OPENWORDS the vpn drops", "3000.1")
    services.tickets.comment(open_, REQUESTER_ACTOR, "OPENWORDS again today", source="3000.2")
    clock.advance(days=10)
    return {"old": old, "recent": recent, "open": open_}


def test_a_closed_tickets_words_are_gone_from_every_table_and_the_rest_is_kept(
    kept: Services, clock: Clock
) -> None:
    ids = _story(kept, clock)
    before = {i: _shown(kept, i) for i in ids.values()}
    assert "OLDWORDS" in everything(kept.db) and "OLDWORDS" in everything(kept.inbox.db)

    purge = kept.retention.apply()

    assert (purge.tickets, purge.inbound_requests) == (1, 1)
    assert purge.events >= 4 and purge.outbox_messages >= 1 and purge.examples >= 1
    assert "OLDWORDS" not in everything(kept.db)
    assert "OLDWORDS" not in everything(kept.inbox.db)
    assert "jo@example.org" not in everything(kept.db)
    for words in ("RECENTWORDS", "OPENWORDS"):
        assert words in everything(kept.db)
    assert "RECENTWORDS" in everything(kept.inbox.db)

    ticket, history = _shown(kept, ids["old"])
    assert ticket.text == PURGED_TEXT
    assert [e.kind for e in history][-1] is EventKind.TEXT_PURGED
    assert history[-1].data == {"retention_days": 30}
    said = [words for event in history for _, words in event.said()]
    assert said.count(PURGED_TEXT) >= 3 and not any("OLDWORDS" in words for words in said), said
    # Every fact is as it was: the same events, states, queues, intents and times, and nothing else.
    _, old_history = before[ids["old"]]
    assert [(e.kind, e.actor, e.at, e.from_value, e.to_value) for e in history[:-1]] == [
        (e.kind, e.actor, e.at, e.from_value, e.to_value) for e in old_history
    ]
    old_ticket = before[ids["old"]][0]
    for name in ("status", "intent", "queue", "desk", "requester", "resolved_at", "created_at", "resolver"):
        assert getattr(ticket, name) == getattr(old_ticket, name), name
    for key in ("recent", "open"):
        assert _shown(kept, ids[key]) == before[ids[key]]

    # The taught example is forgotten by triage as well as emptied.
    learned = kept.training.taught(include_imports=False)
    assert [(x.ticket_id, x.text, x.revoke_reason) for x in learned if x.ticket_id == ids["old"]] == [
        (ids["old"], PURGED_TEXT, "text removed under the retention policy")
    ]

    again = kept.retention.apply()
    assert (again.tickets, again.events, again.outbox_messages, again.examples, again.inbound_requests) == (
        0,
        0,
        0,
        0,
        0,
    )


def test_a_dry_run_counts_the_same_and_changes_nothing(kept: Services, clock: Clock) -> None:
    _story(kept, clock)
    main, inbox = everything(kept.db), everything(kept.inbox.db)
    dry = kept.retention.apply(dry_run=True)
    assert everything(kept.db) == main and everything(kept.inbox.db) == inbox
    real = kept.retention.apply()
    assert (dry.tickets, dry.events, dry.outbox_messages, dry.examples, dry.inbound_requests) == (
        real.tickets,
        real.events,
        real.outbox_messages,
        real.examples,
        real.inbound_requests,
    )
    assert dry.tickets == 1 and dry.dry_run and not real.dry_run


def test_the_history_is_still_append_only_after_a_purge(kept: Services, clock: Clock) -> None:
    _story(kept, clock)
    kept.retention.apply()
    with pytest.raises(DBAPIError, match="append-only"), kept.db.transaction() as session:
        session.execute(update(ticket_events).values(actor="someone else"))
    with pytest.raises(DBAPIError, match="append-only"), kept.db.transaction() as session:
        session.execute(text("DELETE FROM ticket_events"))


def test_no_period_set_is_a_clear_refusal_that_changes_nothing(tmp_path: Path, clock: Clock) -> None:
    services = build_services(retention_settings(tmp_path, None), clock=clock, background_training=False)
    try:
        with pytest.raises(ConfigError, match=r"retention\.closed_ticket_text_days is not set"):
            services.retention.apply()
    finally:
        services.close()


# -- the committee's figures are the same after a purge -------------------------------------------------
END = datetime(2016, 11, 1, tzinfo=UTC)


def test_the_dashboard_and_the_contact_facts_are_byte_identical_after_a_purge(tmp_path: Path) -> None:
    clock = Clock(END)
    services = build_services(retention_settings(tmp_path, 14), clock=clock, background_training=False)
    try:
        load_demo(services, months=1, seed=2016, end=END)
        periods = [Period.parse("2016-10"), Period.parse("2016-09")]

        def figures() -> list[Any]:
            dashboards = [json_report.render(services.kpis.dashboard(p)) for p in periods]
            with services.db.read() as session:
                facts = session.execute(text("SELECT * FROM contact_facts ORDER BY ticket_id")).all()
            return [*dashboards, facts]

        before = figures()
        purge = services.retention.apply()
        assert purge.tickets > 1000  # the test says little if the purge touched nothing
        assert figures() == before
        services.facts.rebuild()  # and folding the purged histories again gives the same facts
        assert figures() == before
    finally:
        services.close()
