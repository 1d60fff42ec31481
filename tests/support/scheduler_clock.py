"""APScheduler's real loop, stepped by a test on a test clock.

APScheduler 3 reads `datetime.now` inside its loop (`apscheduler.schedulers.base`) and in its misfire check
(`apscheduler.executors.base.run_job`), with no clock to inject. `apscheduler_clock` points those two
modules' `datetime` at the test's clock, and `SteppedScheduler` is APScheduler's own `BaseScheduler` without
a thread: `step()` is one pass of its loop (`_process_jobs`: due jobs from the job store, run times,
coalescing, the executor, the next run time written back). Everything the production scheduler does
between two wake-ups runs; only when it wakes is the test's to say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base
from apscheduler.schedulers.base import BaseScheduler


class _ClockDatetime:
    """Stands in for the `datetime` class in APScheduler's modules, which only call `datetime.now(tz)`."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def now(self, tz: tzinfo | None = None) -> datetime:
        now = self._clock()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


@contextmanager
def apscheduler_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    modules: list[Any] = [apscheduler.schedulers.base, apscheduler.executors.base]
    saved = [module.datetime for module in modules]
    for module in modules:
        module.datetime = _ClockDatetime(clock)
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.datetime = original


class SteppedScheduler(BaseScheduler):  # type: ignore[misc]
    """APScheduler's scheduler, woken by the test instead of a thread."""

    def wakeup(self) -> None:
        """Nothing to wake: the test calls `step()`."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def step(self) -> None:
        self._process_jobs()
