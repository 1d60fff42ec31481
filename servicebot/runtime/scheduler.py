"""Digests on schedule: APScheduler 3 with its SQLAlchemy job store in the bot's own database.

One job per configured digest (`digest:<name>`), its callable `run_digest` and its argument the digest's
name: the job store persists both, so the callable is a module-level function that finds the running
digest service through a registry set when the scheduler starts, never a closure or a bound method.

What keeps a digest from being lost or sent twice:
- The job store keeps each job's next run time across restarts. A configured job is put back with
  `replace_existing=True` (restarts do not pile up copies), but with the stored next run time when its
  schedule is unchanged: APScheduler would otherwise compute a fresh one from now, and a run that fell due
  while the bot was down would be skipped instead of sent late.
- `coalesce=True`: runs missed while down are one run (the latest), and `misfire_grace_time` (the
  digest's `misfire_grace_minutes`) bounds how late it may still go out.
- The run records the digest in the outbox under `digest:<name>:<scheduled local time>` (the run time
  APScheduler scheduled, handed to the job by `RunTimeExecutor`), so whichever process or restart runs it,
  the outbox's unique key lets one message through.
- Jobs of digests no longer configured are removed at start.

One scheduler at a time, in the worker process of the replica elected leader (`runtime/leader.py`),
beside the outbox relay. A new leader first catches up (`DigestService.catch_up`): the last run of each
digest within its grace is run again and recorded unless it was, which closes the gap between APScheduler
moving a job's next run time on and the run's outbox write (a leader killed in between). Should two ever
run at once, the outbox key still keeps each run to one message.

Time: APScheduler 3 reads the wall clock (`datetime.now`) inside its loop and has no clock to inject.
The tests drive the real scheduler loop (`BaseScheduler._process_jobs`, the job store, the triggers,
coalescing and the misfire check in `run_job`) one step at a time with APScheduler's `datetime` pointed
at a test clock (tests/support/scheduler_clock.py), rather than re-implementing the loop here for a
clock's sake: what is tested is what runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from servicebot.config import DigestSpec
from servicebot.services.alerts import AlertService
from servicebot.services.digests import DigestService, Outcome

# APScheduler's own table, created by the job store at start; not in our migrations (alembic's comparison
# leaves it alone: `migrate.include_name`).
from servicebot.storage.migrate import JOBSTORE_TABLE

log = logging.getLogger("servicebot.scheduler")

JOB_PREFIX = "digest:"
EXECUTOR = "digests"


class _Registry:
    """The digest service of the scheduler running in this process, for the stored jobs to find."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._service: DigestService | None = None

    def set(self, service: DigestService | None) -> None:
        with self._lock:
            self._service = service

    def get(self) -> DigestService:
        with self._lock:
            if self._service is None:
                raise RuntimeError("no digest scheduler is running in this process")
            return self._service


REGISTRY = _Registry()


def run_digest(name: str, scheduled_at: datetime | None = None) -> str:
    """The job: one run of digest `name`, due at `scheduled_at`. Module level, so the job store can name
    it; `scheduled_at` is added by `RunTimeExecutor` for each run, never stored (optional only because
    APScheduler checks the stored arguments against the signature)."""
    if scheduled_at is None:
        raise RuntimeError(f"digest {name}: run without its scheduled time (not by the digests executor)")
    run = REGISTRY.get().run_scheduled(name, scheduled_at)
    if run.outcome is Outcome.RECORDED and run.digest is not None and run.digest.late is not None:
        log.info("digest %s recorded as %s (%s)", name, run.key, run.digest.late)
    else:
        log.info("digest %s: %s (%s)", name, run.outcome.value, run.key)
    return run.outcome.value


@dataclass(frozen=True)
class _Run:
    """A job as `run_job` uses it, for one run time, with that time as the `scheduled_at` argument."""

    id: str
    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    misfire_grace_time: int | None = None
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} (scheduled at {self.kwargs.get('scheduled_at')})"


class RunTimeExecutor(BaseExecutor):  # type: ignore[misc]
    """APScheduler's own `run_job` (its misfire check included) for each due run, the job's callable given
    the run time it was scheduled for: APScheduler's executors call a job with its stored arguments only,
    and the outbox key must be the scheduled time, not the moment the job happened to start.

    `threaded`: in a thread of its own (production: a slow digest never holds up the scheduler's loop);
    False runs it inside the loop's step, which the tests use to step the loop deterministically."""

    def __init__(self, threaded: bool = True) -> None:
        super().__init__()
        self._threaded = threaded
        self._pool: ThreadPoolExecutor | None = None

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        super().start(scheduler, alias)
        if self._threaded:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest")

    def shutdown(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait)

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        alias, logger_name = job._jobstore_alias, self._logger.name

        def call() -> list[Any]:
            events: list[Any] = []
            for run_time in run_times:
                once = _Run(
                    job.id,
                    job.func,
                    tuple(job.args),
                    {**job.kwargs, "scheduled_at": run_time},
                    job.misfire_grace_time,
                    job.name,
                )
                events.extend(run_job(once, alias, [run_time], logger_name))
            return events

        if self._pool is None:
            try:
                events = call()
            except BaseException as exc:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, events)
            return

        def done(future: Future[list[Any]]) -> None:
            exc = future.exception()
            if exc is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        try:
            self._pool.submit(call).add_done_callback(done)
        except RuntimeError:
            # Shut down (the worker is stopping) while the loop was handing this run over: not run; a
            # digest stays due in the job store for the next start, the alerts are evaluated then anyway.
            log.debug("%s not run: the scheduler is shutting down", job.id)


ALERTS_JOB = "alerts:evaluate"
_ALERTS: list[AlertService] = []  # the alert service of the scheduler running in this process


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _boundary(now: datetime, minutes: int) -> datetime:
    step = minutes * 60
    return _EPOCH + timedelta(seconds=(now - _EPOCH).total_seconds() // step * step)


def evaluate_alerts(scheduled_at: datetime | None = None) -> int:
    """The job: judge the KPIs and services now and record the alerts owed (`AlertService.evaluate`); a
    module-level function for the job store to name. Returns how many changes were recorded. (The run
    time it is handed is not used: an evaluation is of now, and a second one records nothing new.)"""
    if not _ALERTS:
        raise RuntimeError("no alert scheduler is running in this process")
    planned = _ALERTS[0].evaluate()
    for item in planned:
        log.info("alert %s: %s", item.ref, item.what)
    return len(planned)


def job_id(spec: DigestSpec) -> str:
    return f"{JOB_PREFIX}{spec.name}"


class DigestScheduler:
    """The scheduler of this process's digests. `scheduler`: APScheduler's BackgroundScheduler by default
    (its own thread); the tests hand in one they step themselves."""

    def __init__(
        self,
        service: DigestService,
        engine: Engine,
        digests: Sequence[DigestSpec],
        *,
        alerts: AlertService | None = None,
        alerts_every_minutes: int = 15,
        scheduler: BaseScheduler | None = None,
        threaded: bool = True,
    ) -> None:
        """`alerts`: also evaluate breach alerts, at start and every `alerts_every_minutes` (one run at a
        time; runs missed while busy or down are one run)."""
        self.service = service
        self.alerts = alerts
        self.alerts_every_minutes = alerts_every_minutes
        self.digests = tuple(digests)
        self.scheduler = scheduler if scheduler is not None else BackgroundScheduler(timezone=UTC)
        self.scheduler.configure(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
            executors={EXECUTOR: RunTimeExecutor(threaded)},
            timezone=UTC,
        )

    def start(self) -> None:
        """Start with the configured jobs in the store (added, updated, the removed ones deleted) before
        anything runs: paused while the store is brought in line, then resumed."""
        REGISTRY.set(self.service)
        _ALERTS[:] = [] if self.alerts is None else [self.alerts]
        self.scheduler.start(paused=True)
        scheduled_before = self.sync()
        try:
            for run in self.service.catch_up(scheduled_before):
                log.info("digest %s caught up: %s (%s)", run.name, run.outcome.value, run.key)
        except Exception:  # the schedule must run even so; the next start tries again
            log.exception("catching up on the digests failed")
        self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            log.debug("job %s: next run %s", job.id, job.next_run_time)

    def sync(self) -> list[str]:
        """Bring the store in line with the configuration; returns the digests that were scheduled before,
        on the same schedule (a digest new to the store has no run to catch up on)."""
        kept: list[str] = []
        stored = {job.id: job for job in self.scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
        for spec in self.digests:
            trigger = spec.trigger()
            old = stored.pop(job_id(spec), None)
            options: dict[str, Any] = {}
            if old is not None and old.next_run_time is not None and repr(old.trigger) == repr(trigger):
                # Unchanged schedule: keep the run it was waiting for, even one that fell due while the
                # bot was down (coalesce and the misfire grace decide whether it still goes out).
                options["next_run_time"] = old.next_run_time
                kept.append(spec.name)
            self.scheduler.add_job(
                run_digest,
                trigger=trigger,
                args=[spec.name],
                id=job_id(spec),
                name=f"digest {spec.name}",
                executor=EXECUTOR,
                coalesce=True,
                misfire_grace_time=spec.misfire_grace_minutes * 60,
                max_instances=1,
                replace_existing=True,
                **options,
            )
        for removed in stored:
            log.info("digest job %s is no longer configured: removed", removed)
            self.scheduler.remove_job(removed)
        if self.alerts is not None:
            self.scheduler.add_job(
                evaluate_alerts,
                # On the clock's quarter hours (for 15), the same in every replica and after a restart.
                trigger=IntervalTrigger(minutes=self.alerts_every_minutes, start_date=_EPOCH, timezone=UTC),
                id=ALERTS_JOB,
                name="evaluate breach alerts",
                executor=EXECUTOR,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
                replace_existing=True,
                # At start too (the interval's last boundary, so due now): a restart does not wait a period.
                # The services' clock, not datetime.now: on a test clock a real now fell due at the wrong
                # time (a test that failed once the real date passed its clock's).
                next_run_time=_boundary(self.service.clock(), self.alerts_every_minutes),
            )
        elif self.scheduler.get_job(ALERTS_JOB) is not None:
            self.scheduler.remove_job(ALERTS_JOB)
        return kept

    def shutdown(self, wait: bool = True) -> None:
        """Stop the loop; with `wait`, after the digest being recorded (if any) is recorded."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        REGISTRY.set(None)
        _ALERTS.clear()


def stored_jobs(engine: Engine) -> dict[str, datetime | None] | None:
    """The digest jobs in the job store and their next run time (UTC), read without creating the table;
    None when there is no job store in this database yet (no scheduler has run on it)."""
    try:
        if not inspect(engine).has_table(JOBSTORE_TABLE):
            return None
        jobs = table(JOBSTORE_TABLE, column("id"), column("next_run_time"))
        with engine.connect() as connection:
            rows = connection.execute(select(jobs.c.id, jobs.c.next_run_time)).all()
    except SQLAlchemyError:
        return None
    return {
        str(row.id): None
        if row.next_run_time is None
        else datetime.fromtimestamp(float(row.next_run_time), UTC)
        for row in rows
        if str(row.id).startswith(JOB_PREFIX)
    }
