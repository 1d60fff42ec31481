"""Digests on schedule with the real APScheduler loop, job store and triggers on a real SQLite file,
stepped on a test clock (tests/support/scheduler_clock.py): when they fire, when they do not, and that a
restart, a second replica or a return after downtime sends each one exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from servicebot.bootstrap import build_digests, open_database
from servicebot.config import DigestSpec, Settings
from servicebot.runtime.scheduler import DigestScheduler, stored_jobs
from servicebot.storage import migrate
from servicebot.storage.db import Database
from tests.conftest import Clock, make_settings
from tests.support.scheduler_clock import SteppedScheduler, apscheduler_clock


def at(*parts: int) -> datetime:
    """A time in December 2026 in London, which is UTC then."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def spec(name: str = "ict-morning", cron: str = "30 8 * * *", **changes: Any) -> DigestSpec:
    fields: dict[str, Any] = {
        "name": name,
        "cron": cron,
        "timezone": "Europe/London",
        "desk": "ict",
        "channel": "C0ICTLEADS",
        "content": "alert_digest",
    }
    fields.update(changes)
    return DigestSpec(**fields)


class Bot:
    """One process's digest scheduler over the shared database: start, step, stop, as a restart does."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock
        self.db = open_database(settings.database_url)
        self.scheduler = DigestScheduler(
            build_digests(self.db, settings, clock),
            self.db.engine,
            settings.digests,
            scheduler=SteppedScheduler(),
            threaded=False,
        )
        self.scheduler.start()

    def step(self, when: datetime | None = None) -> None:
        if when is not None:
            self.clock.now = when
        self.scheduler.scheduler.step()

    def next_run(self, name: str = "ict-morning") -> datetime | None:
        job = self.scheduler.scheduler.get_job(f"digest:{name}")
        return None if job is None else job.next_run_time

    def stop(self) -> None:
        self.scheduler.shutdown()
        self.db.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Clock, Path]]:
    clock = Clock(at(2026, 12, 23, 8, 0))
    settings = make_settings(tmp_path)
    db = Database(settings.database_url)
    migrate.upgrade(db.engine)
    db.dispose()
    with apscheduler_clock(clock):
        yield clock, tmp_path


def configured(tmp_path: Path, *digests: DigestSpec) -> Settings:
    return make_settings(tmp_path).model_copy(update={"digests": tuple(digests)})


def digests_sent(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    """(outbox key, the digest's data) of every digest recorded, oldest first."""
    db = Database(settings.database_url)
    try:
        from servicebot.services.outbox import OutboxService

        messages = OutboxService(db, lambda: at(2026, 1, 1)).listed(None, 1000)
    finally:
        db.dispose()
    return [(m.key, m.payload["data"]) for m in reversed(messages) if m.key.startswith("digest:")]


def test_the_daily_digest_fires_at_0830_on_a_working_day_and_records_one_message(
    world: tuple[Clock, Path],
) -> None:
    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    bot = Bot(settings, clock)
    bot.step(at(2026, 12, 23, 8, 29, 59))
    assert digests_sent(settings) == []
    bot.step(at(2026, 12, 23, 8, 30))
    bot.step(at(2026, 12, 23, 8, 31))
    ((key, data),) = digests_sent(settings)
    assert key == "digest:ict-morning:2026-12-23T08:30+0000"
    assert data["late"] is None and data["content"] == "alert_digest"
    assert data["title"] == "ICT Service Desk: alert digest, Wed 23 Dec 2026"
    assert bot.next_run() == at(2026, 12, 24, 8, 30)
    bot.stop()


def test_no_digest_on_bank_holidays_or_the_weekend_though_the_job_runs(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    clock.now = at(2026, 12, 24, 9, 0)  # after Thursday's run
    bot = Bot(settings, clock)
    # Fri 25 Christmas Day, Sat 26, Sun 27, Mon 28 (Boxing Day's substitute), Tue 29 a working day.
    for day in (25, 26, 27, 28):
        bot.step(at(2026, 12, day, 8, 30))
        assert digests_sent(settings) == [], f"recorded on {day} December"
        assert bot.next_run() == at(2026, 12, day + 1, 8, 30), "the job ran and moved on"
    bot.step(at(2026, 12, 29, 8, 30))
    assert [key for key, _ in digests_sent(settings)] == ["digest:ict-morning:2026-12-29T08:30+0000"]
    bot.stop()


def test_a_closure_day_is_skipped_and_a_digest_for_every_day_is_not(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    base = make_settings(tmp_path)
    hours = base.working_hours.model_copy(update={"closures": (datetime(2026, 12, 23).date(),)})
    settings = base.model_copy(
        update={
            "working_hours": hours,
            "digests": (spec(), spec("ict-every-day", working_days_only=False)),
        }
    )
    bot = Bot(settings, clock)
    bot.step(at(2026, 12, 23, 8, 30))
    assert [key for key, _ in digests_sent(settings)] == ["digest:ict-every-day:2026-12-23T08:30+0000"]
    bot.stop()


def test_a_restart_inside_the_due_window_sends_it_once(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    first = Bot(settings, clock)
    first.step(at(2026, 12, 23, 8, 30))
    first.stop()
    clock.now = at(2026, 12, 23, 8, 31)
    second = Bot(settings, clock)  # a new scheduler over the same database
    second.step()
    second.step(at(2026, 12, 23, 9, 0))
    assert len(digests_sent(settings)) == 1
    assert second.next_run() == at(2026, 12, 24, 8, 30)
    second.stop()


def test_two_replicas_due_at_the_same_moment_send_it_once(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    one, two = Bot(settings, clock), Bot(settings, clock)
    clock.now = at(2026, 12, 23, 8, 30)
    # Each read the job as due before either moved it on: both run it; the outbox key lets one through.
    one_due = one.scheduler.scheduler._lookup_jobstore("default").get_due_jobs(clock.now)
    two_due = two.scheduler.scheduler._lookup_jobstore("default").get_due_jobs(clock.now)
    assert len(one_due) == len(two_due) == 1
    one.step()
    two.scheduler.scheduler._lookup_jobstore("default").update_job(two_due[0])  # as two had read it
    two.step()
    assert [key for key, _ in digests_sent(settings)] == ["digest:ict-morning:2026-12-23T08:30+0000"]
    one.stop()
    two.stop()


def test_a_digest_missed_while_down_is_sent_once_on_return_marked_late(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    before = Bot(settings, clock)
    before.step(at(2026, 12, 23, 8, 0))
    before.stop()  # down from 08:00 …
    clock.now = at(2026, 12, 23, 10, 12)  # … to 10:12
    after = Bot(settings, clock)
    after.step()
    after.step(at(2026, 12, 23, 10, 13))
    ((key, data),) = digests_sent(settings)
    assert key == "digest:ict-morning:2026-12-23T08:30+0000"
    assert data["late"] == {"due": "08:30", "sent": "10:12"}
    assert after.next_run() == at(2026, 12, 24, 8, 30)
    after.stop()


def test_days_missed_while_down_are_one_late_digest_within_the_grace_and_none_after_it(
    world: tuple[Clock, Path],
) -> None:
    clock, tmp_path = world
    settings = configured(tmp_path, spec(), spec("ict-patient", misfire_grace_minutes=3 * 24 * 60))
    clock.now = at(2026, 12, 21, 8, 0)  # Monday
    before = Bot(settings, clock)
    before.stop()
    clock.now = at(2026, 12, 23, 10, 0)  # back on Wednesday: Mon, Tue and Wed's runs were missed
    after = Bot(settings, clock)
    after.step()
    sent = digests_sent(settings)
    # Coalesced: the latest run only, and within the 6-hour grace for both.
    assert sorted(key for key, _ in sent) == [
        "digest:ict-morning:2026-12-23T08:30+0000",
        "digest:ict-patient:2026-12-23T08:30+0000",
    ]
    assert all(data["late"] == {"due": "08:30", "sent": "10:00"} for _, data in sent)
    after.stop()
    clock.now = at(2026, 12, 24, 20, 0)  # down from Wed 10:00 to Thu 20:00: Thursday's run is 11.5 h old
    last = Bot(settings, clock)
    last.step()
    keys = sorted(key for key, _ in digests_sent(settings))
    assert "digest:ict-morning:2026-12-24T08:30+0000" not in keys, "sent past its 6-hour grace"
    assert "digest:ict-patient:2026-12-24T08:30+0000" in keys, "within its 3-day grace"
    assert last.next_run() == at(2026, 12, 25, 8, 30)
    last.stop()


def test_jobs_of_a_removed_digest_disappear_and_restarts_do_not_duplicate(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    both = configured(tmp_path, spec(), spec("ict-stats", "0 9 * * mon-fri", content="daily_stats"))
    Bot(both, clock).stop()
    Bot(both, clock).stop()
    db = Database(both.database_url)
    assert set(stored_jobs(db.engine) or {}) == {"digest:ict-morning", "digest:ict-stats"}
    one = configured(tmp_path, spec())
    Bot(one, clock).stop()
    assert set(stored_jobs(db.engine) or {}) == {"digest:ict-morning"}
    db.dispose()


def test_a_changed_schedule_takes_effect_and_an_unchanged_one_keeps_its_due_run(
    world: tuple[Clock, Path],
) -> None:
    clock, tmp_path = world
    Bot(configured(tmp_path, spec()), clock).stop()  # at 08:00: due 08:30
    clock.now = at(2026, 12, 23, 9, 0)
    moved = Bot(configured(tmp_path, spec(cron="0 10 * * *")), clock)
    assert moved.next_run() == at(2026, 12, 23, 10, 0)  # the new schedule, from now
    moved.step()
    assert digests_sent(moved.settings) == []  # 08:30 was not this schedule's run
    moved.stop()


def test_the_job_store_table_is_apschedulers_and_alembic_leaves_it_alone(world: tuple[Clock, Path]) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from servicebot.storage.tables import metadata

    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    Bot(settings, clock).stop()
    db = Database(settings.database_url)
    try:
        assert inspect(db.engine).has_table(migrate.JOBSTORE_TABLE)
        with db.engine.connect() as connection:
            unfiltered = compare_metadata(MigrationContext.configure(connection), metadata)
            filtered = compare_metadata(
                MigrationContext.configure(connection, opts={"include_name": migrate.include_name}),
                metadata,
            )
        # The filter is what keeps it out: unfiltered, alembic would drop the table and its index.
        assert sorted(d[0] for d in unfiltered) == ["remove_index", "remove_table"]
        assert filtered == []
        migrate.upgrade(db.engine)  # and `db upgrade` over it changes nothing
        assert migrate.current_revision(db.engine) == migrate.head_revision()
    finally:
        db.dispose()


def test_breach_alerts_are_evaluated_at_start_and_every_interval_once_across_replicas(
    world: tuple[Clock, Path],
) -> None:
    """The scheduler also runs the alerts' evaluation: at start, then every `evaluate_every_minutes`. Two
    processes doing so record one alert: the database holds one open episode per KPI."""
    from servicebot.bootstrap import build_alerts, build_kpis
    from tests.integration.test_alerts import DEFINITIONS, config

    clock, tmp_path = world
    settings = make_settings(tmp_path, SERVICEBOT_CONFIG=str(config(tmp_path)))
    clock.now = at(2026, 12, 1, 9, 30)

    def replica() -> tuple[DigestScheduler, Database]:
        db = open_database(settings.database_url)
        kpis = build_kpis(db, settings, clock)
        scheduler = DigestScheduler(
            build_digests(db, settings, clock),
            db.engine,
            (),
            alerts=build_alerts(db, settings, kpis, clock),
            alerts_every_minutes=15,
            scheduler=SteppedScheduler(),
            threaded=False,
        )
        return scheduler, db

    first, first_db = replica()
    import yaml

    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
    (tmp_path / "values.csv").write_text("ref,period,value,ytd\nICT01,2026-11,60,\n")
    build_kpis(first_db, settings, clock).load_definitions(tmp_path / "kpis.yaml", tmp_path / "values.csv")
    second, second_db = replica()
    first.start()
    second.start()
    first.scheduler.step()
    second.scheduler.step()

    def alert_keys() -> list[str]:
        from servicebot.services.outbox import OutboxService

        return sorted(m.key for m in OutboxService(first_db, clock).listed(None, 100))

    assert alert_keys() == ["alert:1:open:U0OWNER1", "alert:1:open:lead:C0ICTLEADS"]
    job = first.scheduler.get_job("alerts:evaluate")
    assert job is not None and job.next_run_time == at(2026, 12, 1, 9, 45)
    # A day later, unanswered: the next evaluation after 09:00 reminds, once, whichever replica runs it.
    clock.now = at(2026, 12, 2, 9, 0, 1)
    first.scheduler.step()
    second.scheduler.step()
    assert alert_keys().count("alert:1:remind:2:U0OWNER1") == 1
    for scheduler, db in ((first, first_db), (second, second_db)):
        scheduler.shutdown()
        db.dispose()


def test_a_leader_killed_after_the_job_moved_on_but_before_recording_is_caught_up_by_the_next(
    world: tuple[Clock, Path],
) -> None:
    """APScheduler stores a job's next run time before the run is done; a process killed in between leaves
    the store saying "next: tomorrow" with nothing recorded. The next leader's start records it, late."""
    clock, tmp_path = world
    settings = configured(tmp_path, spec())
    first = Bot(settings, clock)
    # What the store holds after the kill: the 08:30 run handed over, the next run moved to tomorrow
    # (as APScheduler's loop does, through the job store, before the run is done).
    first.scheduler.scheduler.modify_job("digest:ict-morning", next_run_time=at(2026, 12, 24, 8, 30))
    first.stop()
    clock.now = at(2026, 12, 23, 8, 40)
    second = Bot(settings, clock)
    ((key, data),) = digests_sent(settings)
    assert key == "digest:ict-morning:2026-12-23T08:30+0000"
    assert data["late"] is not None
    assert second.next_run() == at(2026, 12, 24, 8, 30)
    second.stop()
    # A third start finds it recorded: nothing more.
    third = Bot(settings, clock)
    assert len(digests_sent(settings)) == 1
    third.stop()


def test_a_digest_new_to_the_schedule_is_not_caught_up(world: tuple[Clock, Path]) -> None:
    clock, tmp_path = world
    clock.now = at(2026, 12, 23, 8, 40)
    bot = Bot(configured(tmp_path, spec()), clock)
    assert digests_sent(bot.settings) == []
    bot.stop()
