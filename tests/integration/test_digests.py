"""What a digest says and what it records, on a real database: the alert digest's KPIs, breach episodes
(the hook the alert service fills) and open outages; the monthly dashboard's file recorded with its notice
in one go and into its thread; a run recorded twice is one message; a digest by hand has its own key."""

from __future__ import annotations

from datetime import UTC, datetime

from servicebot.bootstrap import Services
from servicebot.config import DigestSpec
from servicebot.domain.outbox import NOTICE, UPLOAD, Status
from servicebot.services.actors import Actor, Role
from servicebot.services.digests import EpisodeSummary, Outcome, stats_sections
from tests.conftest import AGENT, Clock

DUE = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def _spec(content: str = "alert_digest", **changes: object) -> DigestSpec:
    fields: dict[str, object] = {
        "name": "ict-morning",
        "cron": "30 8 * * mon-fri",
        "timezone": "Europe/London",
        "desk": "ict",
        "channel": "C0ICTLEADS",
        "content": content,
    }
    fields.update(changes)
    return DigestSpec(**fields)  # type: ignore[arg-type]


def _with(services: Services, *specs: DigestSpec) -> None:
    """The digest service as if these digests were configured."""
    services.digests.settings = services.settings.model_copy(update={"digests": specs})


def test_the_alert_digest_lists_open_episodes_and_outages(services: Services, clock: Clock) -> None:
    _with(services, _spec())
    clock.now = datetime(2026, 11, 30, 7, 45, tzinfo=UTC)
    services.outages.start("email", Actor(AGENT, Role.AGENT), "mail store down")
    services.digests.open_episodes = lambda desk: [
        EpisodeSummary("ICT04", "2026-11", "RED", acknowledged_by="U0LEAD", commentary_given=False),
        EpisodeSummary("ICT02", "2026-11", "AMBER", snoozed_until=datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),
    ]
    clock.now = DUE
    digest = services.digests.compose(_spec(), DUE)
    headings = [s.heading for s in digest.sections]
    assert headings == ["KPIs now AMBER or RED (November 2026)", "Open breach episodes", "Open outages"]
    episodes = digest.sections[1].items
    assert [(i.text, i.rag) for i in episodes] == [
        ("ICT04 2026-11 RED, acknowledged by U0LEAD, commentary owed", "RED"),
        ("ICT02 2026-11 AMBER, not acknowledged, snoozed until 2 Dec 2026 09:00, commentary owed", "AMBER"),
    ]
    (outage,) = digest.sections[2].items
    assert outage.text == "Email: out since 30 Nov 2026 07:45 (mail store down)"
    assert digest.late is None and digest.title == "ICT Service Desk: alert digest, Tue 1 Dec 2026"


def test_a_run_recorded_twice_is_one_message_and_by_hand_is_another(services: Services, clock: Clock) -> None:
    _with(services, _spec())
    clock.now = DUE
    first = services.digests.run_scheduled("ict-morning", DUE)
    again = services.digests.run_scheduled("ict-morning", DUE)
    assert (first.outcome, again.outcome) == (Outcome.RECORDED, Outcome.ALREADY)
    by_hand = services.digests.send_now(_spec())
    assert by_hand.key == "digest:ict-morning:by-hand:2026-12-01T08:30:00+0000"
    messages = services.outbox.listed(Status.PENDING)
    assert sorted(m.key for m in messages) == ["digest:ict-morning:2026-12-01T08:30+0000", by_hand.key]
    notice = next(m for m in messages if m.key == first.key)
    assert notice.method == NOTICE and notice.thread == "digest:ict-morning"
    assert notice.payload["kind"] == "digest" and notice.payload["to"] == "C0ICTLEADS"
    assert notice.payload["data"]["by_hand"] is False


def test_the_monthly_dashboard_goes_as_a_file_into_the_digests_thread(
    services: Services, clock: Clock
) -> None:
    spec = _spec("monthly_dashboard", name="ict-monthly", cron="0 9 2 * *", file_format="md")
    _with(services, spec)
    due = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    clock.now = due
    run = services.digests.run_scheduled("ict-monthly", due)
    assert run.outcome is Outcome.RECORDED
    by_key = {m.key: m for m in services.outbox.listed(Status.PENDING)}
    notice, upload = by_key[run.key], by_key[f"{run.key}:file"]
    assert upload.method == UPLOAD and upload.thread == notice.thread and upload.id > notice.id
    assert upload.payload["reply_to"] == run.key
    assert upload.payload["filename"] == "dashboard-ict-2026-11.md"
    assert notice.payload["data"]["file"] == "dashboard-ict-2026-11.md"
    services.digests.run_scheduled("ict-monthly", due)
    assert len(services.outbox.listed(Status.PENDING)) == 2  # neither recorded again


def test_a_digest_on_a_bank_holiday_records_nothing(services: Services, clock: Clock) -> None:
    _with(services, _spec(cron="30 8 * * *"))
    christmas = datetime(2026, 12, 25, 8, 30, tzinfo=UTC)
    clock.now = christmas
    assert services.digests.run_scheduled("ict-morning", christmas).outcome is Outcome.SKIPPED
    assert services.outbox.listed() == []


def test_the_daily_and_weekly_digests_give_the_figures_stats_gives_for_those_days(
    services: Services, clock: Clock
) -> None:
    """Yesterday's and last week's figures, each the same as `stats` computes for those days: a ticket
    logged and resolved yesterday counts; one from the day before does not."""
    from datetime import date, timedelta

    from servicebot.domain.days import DayRange
    from servicebot.services.intake import Source

    agent = Actor(AGENT, Role.AGENT)
    for day, text in ((29, "my monitor flickers"), (30, "the printer on floor 2 is jammed")):
        clock.now = datetime(2026, 11, day, 10, 0, tzinfo=UTC)
        outcome = services.intake.log_query(
            text, Actor("U0REQ"), Source(kind="console", logged_by="U0REQ"), "ict"
        )
        services.tickets.resolve(outcome.ticket.id, agent, "fixed")
    clock.now = DUE
    daily = services.digests.compose(_spec("daily_stats"), DUE)
    yesterday = services.stats.over("ict", DayRange(date(2026, 11, 30), date(2026, 11, 30)), "y", False, DUE)
    assert yesterday.figure("contacts").value == 1  # type: ignore[union-attr]  # not the 29th's
    assert daily.note == "Figures are for yesterday, Mon 30 Nov."
    assert daily.sections == stats_sections(yesterday)

    monday = DUE + timedelta(days=6)
    clock.now = monday
    weekly = services.digests.compose(_spec("weekly_summary"), monday)
    week = services.stats.over("ict", DayRange(date(2026, 11, 30), date(2026, 12, 6)), "w", False, monday)
    assert week.figure("contacts").value == 1  # type: ignore[union-attr]
    assert weekly.note == "Last week: Mon 30 Nov to Sun 6 Dec."
    assert weekly.sections == stats_sections(week)
