"""Breach alerts on a real SQLite file with a clock the test moves: a KPI going RED alerts its owner and the
desk's lead channel once, is held outside working hours, repeats when nobody answers, escalates to the
director, stops on acknowledge, and closes with a recovery in the same threads. Evaluating again with
nothing changed records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from servicebot.bootstrap import Services, build_services
from servicebot.domain.errors import InvalidInput, NotAllowed, NotFound
from servicebot.domain.outbox import Notice
from servicebot.domain.periods import Period
from servicebot.services.actors import Actor, Role
from tests.conftest import AGENT, EXAMPLE_CONFIG, MANAGER, Clock, make_settings

OWNER, DIRECTOR, LEAD = "U0OWNER1", "U0DIRECTOR", "C0ICTLEADS"
STRANGER = "U0STRANGER"
NETWORK_OWNER = "U0NETOWNER"
NOV = Period(2026, 11)
TUESDAY = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # 09:30 in London (GMT)

DEFINITIONS = {
    "kpis": [
        {
            "ref": "ICT01",
            "description": "Calls to ICT Help Desk resolved at the first point of contact",
            "service_area": "ICT (Infrastructure)",
            "director": "Rebecca Spore",
            "owners": [OWNER],
            "unit": "percent",
            "polarity": "higher_is_better",
            "frequency": "monthly",
            "target": 70,
            "floor": 65,
            "source": "manual",
            "desk": "ict",
        },
        {
            "ref": "ICT09",
            "description": "A KPI nobody watches",
            "service_area": "ICT (Infrastructure)",
            "unit": "percent",
            "polarity": "higher_is_better",
            "frequency": "monthly",
            "target": 90,
            "floor": 80,
            "source": "manual",
            "desk": "ict",
            "suspended": True,
        },
        {
            "ref": "ICT05",
            "description": "Working hours where email is available to staff",
            "service_area": "ICT (Infrastructure)",
            "director": "Rebecca Spore",
            "owners": [NETWORK_OWNER],
            "unit": "percent",
            "polarity": "higher_is_better",
            "frequency": "monthly",
            "target": 99,
            "floor": 98,
            "source": "availability:email",
        },
    ]
}


def config(tmp_path: Path, **alerts: object) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["desks"]["ict"]["lead_channel"] = LEAD
    data["alerts"] = {"directors": {"Rebecca Spore": DIRECTOR}, **alerts}
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock(TUESDAY)


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    settings = make_settings(tmp_path, SERVICEBOT_CONFIG=str(config(tmp_path)))
    built = build_services(settings, clock=clock, background_training=False)
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
    built.kpis.load_definitions(tmp_path / "kpis.yaml")
    yield built
    built.close()


def publish(
    services: Services, tmp_path: Path, value: float, period: Period = NOV, ref: str = "ICT01"
) -> None:
    path = tmp_path / f"values-{value}.csv"
    path.write_text(f"ref,period,value,ytd\n{ref},{period},{value},\nICT09,{period},10,\n")
    report = services.imports.run("values", path)
    assert not report.problems, report.problems


def outbox_keys(services: Services) -> list[str]:
    return [m.key for m in sorted(services.outbox.listed(limit=500), key=lambda m: m.id)]


def test_a_breach_alerts_owner_and_lead_once_with_the_figures(services: Services, tmp_path: Path) -> None:
    publish(services, tmp_path, 60.0)
    planned = services.alerts.evaluate()
    assert [p.ref for p in planned] == ["ICT01"]  # the suspended KPI never alerts, though below floor
    [view] = services.alerts.listed()
    episode = view.episode
    assert (episode.ref, episode.period, episode.state.value, episode.sends) == ("ICT01", "2026-11", "RED", 1)
    assert outbox_keys(services) == [
        f"alert:{episode.id}:open:{OWNER}",
        f"alert:{episode.id}:open:lead:{LEAD}",
    ]
    [to_owner, to_lead] = sorted(services.outbox.listed(), key=lambda m: m.id)
    notice = Notice.of(to_owner.payload)
    assert notice.to == OWNER and Notice.of(to_lead.payload).to == LEAD
    assert notice.kind == "alert"
    assert notice.data["value"] == 60.0 and notice.data["target"] == 70 and notice.data["floor"] == 65
    assert notice.data["trend"][-1] == ["2026-11", 60.0]
    assert (to_owner.thread, to_lead.thread) == (f"alert:{episode.id}:{OWNER}", f"alert:{episode.id}:{LEAD}")

    # Again, and after a restart: nothing new.
    assert services.alerts.evaluate() == []
    assert len(outbox_keys(services)) == 2


def test_unanswered_it_repeats_next_working_morning_then_escalates_then_stops_on_acknowledge(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    publish(services, tmp_path, 60.0)
    services.alerts.evaluate()
    [view] = services.alerts.listed()
    eid = view.episode.id

    clock.now = datetime(2026, 12, 2, 8, 59, tzinfo=UTC)
    assert services.alerts.evaluate() == []
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    [reminder] = services.alerts.evaluate()
    assert reminder.what.startswith(f"reminder 1 of alert #{eid}")
    assert f"alert:{eid}:remind:2:{OWNER}" in outbox_keys(services)
    assert services.alerts.evaluate() == []

    # 16 working hours after 09:30 Tuesday is 15:30 Wednesday (08:00-18:00 days).
    clock.now = datetime(2026, 12, 2, 15, 29, tzinfo=UTC)
    assert services.alerts.evaluate() == []
    clock.now = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    [escalation] = services.alerts.evaluate()
    assert "escalated to Rebecca Spore (U0DIRECTOR)" in escalation.what
    [to_director] = [m for m in services.outbox.listed() if m.key == f"alert:{eid}:escalate"]
    assert Notice.of(to_director.payload).to == DIRECTOR
    assert services.alerts.evaluate() == []

    services.alerts.acknowledge(eid, Actor(OWNER))
    [view] = services.alerts.listed()
    assert view.episode.acknowledged_by == OWNER
    # Acknowledged: no more reminders.
    clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert services.alerts.evaluate() == []
    # Said in the threads of the first alerts, after them.
    acknowledged = [m for m in services.outbox.listed() if ":acknowledged:" in m.key]
    assert {Notice.of(m.payload).reply_to for m in acknowledged} == {
        f"alert:{eid}:open:{OWNER}",
        f"alert:{eid}:open:lead:{LEAD}",
    }


def test_recovery_closes_the_episode_in_the_same_threads_and_a_new_breach_opens_a_new_one(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    publish(services, tmp_path, 60.0)
    services.alerts.evaluate()
    [view] = services.alerts.listed()
    eid = view.episode.id
    publish(services, tmp_path, 71.0)
    [closed] = services.alerts.evaluate()
    assert closed.what == f"alert #{eid} closed: recovered"
    recovered = [m for m in services.outbox.listed() if ":recovered:" in m.key]
    assert {Notice.of(m.payload).reply_to for m in recovered} == {
        f"alert:{eid}:open:{OWNER}",
        f"alert:{eid}:open:lead:{LEAD}",
    }
    assert "recovered (71% in November 2026)" in str(Notice.of(recovered[0].payload).data)
    assert services.alerts.listed(open_only=True) == []
    assert services.alerts.evaluate() == []

    # AMBER then worse, RED, in the same month: a new alert, the AMBER one superseded.
    publish(services, tmp_path, 67.0)
    [amber] = services.alerts.evaluate()
    assert "AMBER 2026-11 (new)" in amber.what
    publish(services, tmp_path, 61.0)
    [red] = services.alerts.evaluate()
    assert "RED 2026-11 (worse (was AMBER))" in red.what
    [open_now] = services.alerts.listed(open_only=True)
    assert open_now.episode.state.value == "RED"
    # Better again, still in breach: said in the thread, no new alert.
    publish(services, tmp_path, 66.0)
    [better] = services.alerts.evaluate()
    assert better.what.endswith("improved to AMBER")
    [open_now] = services.alerts.listed(open_only=True)
    assert open_now.episode.id == int(red.episode or 0) and open_now.episode.state.value == "AMBER"


def test_outside_working_hours_an_alert_is_held_to_the_next_opening(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    clock.now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # a Saturday
    publish(services, tmp_path, 60.0)
    [planned] = services.alerts.evaluate()
    assert planned.what.endswith("held to Mon 07 Dec 2026 08:00")
    messages = services.outbox.listed()
    assert {m.next_attempt_at for m in messages} == {datetime(2026, 12, 7, 8, 0, tzinfo=UTC)}
    assert services.outbox.due() == []
    clock.now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert len(services.outbox.due()) == 2


def test_an_urgent_kpi_is_not_held(services: Services, tmp_path: Path, clock: Clock) -> None:
    definitions = yaml.safe_load(yaml.safe_dump(DEFINITIONS))
    definitions["kpis"][0]["urgent"] = True
    (tmp_path / "urgent.yaml").write_text(yaml.safe_dump(definitions))
    services.kpis.load_definitions(tmp_path / "urgent.yaml")
    clock.now = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
    publish(services, tmp_path, 60.0)
    [planned] = services.alerts.evaluate()
    assert "held" not in planned.what
    assert len(services.outbox.due()) == 2


def test_snooze_holds_reminders_until_then_and_commentary_reaches_the_dashboard(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    publish(services, tmp_path, 60.0)
    services.alerts.evaluate()
    [view] = services.alerts.listed()
    eid = view.episode.id
    until = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    services.alerts.snooze(eid, until, Actor(OWNER))
    clock.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert services.alerts.evaluate() == []  # snoozed: no reminder, no escalation
    clock.now = until
    [reminder] = services.alerts.evaluate()
    assert reminder.what.startswith(f"reminder 1 of alert #{eid}")

    services.alerts.comment(
        eid, "Two agents off sick", "Agency cover booked", date(2027, 1, 31), Actor(OWNER)
    )
    row = services.kpis.row("ICT01", NOV)
    assert row.commentary is not None and row.commentary.cause == "Two agents off sick"
    [view] = services.alerts.listed()
    assert view.commentary and view.episode.acknowledged_by == OWNER  # commenting takes it on


def test_who_may_answer_an_alert_and_what_is_refused(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    publish(services, tmp_path, 60.0)
    services.alerts.evaluate()
    [view] = services.alerts.listed()
    eid = view.episode.id
    with pytest.raises(NotAllowed, match="Only ICT01's owners, its director or a manager"):
        services.alerts.acknowledge(eid, Actor(STRANGER, Role.AGENT))
    with pytest.raises(NotFound, match="no alert #999"):
        services.alerts.acknowledge(999, Actor(OWNER))
    with pytest.raises(InvalidInput, match="not in the future"):
        services.alerts.snooze(eid, clock.now - timedelta(minutes=1), Actor(OWNER))
    with pytest.raises(InvalidInput, match="at most 31 days"):
        services.alerts.snooze(eid, clock.now + timedelta(days=40), Actor(OWNER))
    with pytest.raises(InvalidInput, match="cause: is blank"):
        services.alerts.comment(eid, " ", "something", None, Actor(OWNER))
    services.alerts.acknowledge(eid, Actor(DIRECTOR))
    services.alerts.acknowledge(eid, Actor(MANAGER, Role.MANAGER))  # again: changes nothing
    [view] = services.alerts.listed()
    assert view.episode.acknowledged_by == DIRECTOR
    assert [e.kind for e in view.events] == ["opened", "acknowledged"]
    publish(services, tmp_path, 75.0)
    services.alerts.evaluate()
    with pytest.raises(InvalidInput, match="is closed \\(recovered\\)"):
        services.alerts.acknowledge(eid, Actor(OWNER))


def test_a_dry_run_records_nothing_and_says_the_same(services: Services, tmp_path: Path) -> None:
    publish(services, tmp_path, 60.0)
    dry = services.alerts.evaluate(dry_run=True)
    assert services.alerts.listed() == [] and outbox_keys(services) == []
    real = services.alerts.evaluate()
    assert [p.what for p in dry] == [p.what.replace(f"alert #{p.episode} ", "new alert ") for p in real]
    assert dry[0].what.startswith("new alert RED")


def test_a_second_process_evaluating_the_same_state_records_nothing_more(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    """A replica or a command beside the bot: what one recorded, the other reads and does not repeat."""
    publish(services, tmp_path, 60.0)
    other = build_services(services.settings, clock=clock, background_training=False)
    try:
        services.alerts.evaluate()
        assert other.alerts.evaluate() == []
    finally:
        other.close()
    assert len(services.alerts.listed()) == 1 and len(outbox_keys(services)) == 2


def test_a_service_out_too_long_alerts_the_leads_and_its_owners_and_its_return_closes_it(
    services: Services, tmp_path: Path, clock: Clock
) -> None:
    services.outages.start("email", Actor(AGENT, Role.AGENT), "mail relay down")
    clock.advance(minutes=59)
    assert services.alerts.evaluate() == []  # out for less than outage_after_minutes (60)
    clock.advance(minutes=1)
    [planned] = services.alerts.evaluate()
    assert planned.ref == "outage:email"
    head, _, whom = planned.what.partition(" to ")
    assert head == "alert #1 Out (new)" and set(whom.split(", ")) == {NETWORK_OWNER, LEAD, "C0CCLEADS"}
    notices = {m.key: Notice.of(m.payload) for m in services.outbox.listed()}
    alert = notices[f"alert:1:open:{NETWORK_OWNER}"]
    assert (
        alert.kind == "outage-alert"
        and alert.data["title"] == "Email"
        and alert.data["out_for"] == "1 h 0 min"
    )
    assert alert.data["note"] == "mail relay down"
    assert services.alerts.evaluate() == []

    # Any agent may take a service being out on; someone who is not staff may not.
    with pytest.raises(NotAllowed, match="or service desk agents can acknowledge alert #1"):
        services.alerts.acknowledge(1, Actor(STRANGER))
    services.alerts.acknowledge(1, Actor(AGENT, Role.AGENT))

    services.outages.end("email", Actor(AGENT, Role.AGENT))
    [closed] = services.alerts.evaluate()
    assert closed.what == "alert #1 closed: recovered"
    back = [
        n
        for k, n in {m.key: Notice.of(m.payload) for m in services.outbox.listed()}.items()
        if ":recovered:" in k
    ]
    assert len(back) == 3 and all("is back" in str(n.data) for n in back)


def test_planned_maintenance_never_alerts(services: Services, tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "outages.csv"
    path.write_text("service,start,end,planned\nemail,2026-12-01T08:00:00Z,,yes\n")
    report = services.imports.run("outages", path)
    assert not report.problems, report.problems
    clock.advance(hours=5)
    assert services.alerts.evaluate() == []
