"""The worker process beside the web process, restarted if it dies: the inbox keeps its work meanwhile.

One worker: SQLite has a single writer anyway, and one process doing the work in order is plenty for a
council's desk (hundreds of requests an hour, each a few milliseconds). What the worker runs is the front
end's business (`main`, a module-level function so a spawned process can import it); this module only
starts it, wakes it when requests arrive, tells it how busy the acknowledgements are, and restarts it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from servicebot.runtime.inbox import Activity, Inbox, Stamp
from servicebot.runtime.worker import Wake

log = logging.getLogger("servicebot")

# How much lower than the web process's the worker's CPU priority is (nice(1)'s scale: 10 weighs about a
# tenth of the web process when both are runnable; it still has the whole CPU when the web process is idle).
WORKER_NICENESS = 10

# main(*args, wake, stop, activity): work until `stop` is set; `wake` is set when new requests are stored;
# `activity` says when the web process last recorded one.
WorkerMain = Callable[..., None]


class WorkerProcess:
    def __init__(
        self, main: WorkerMain, args: tuple[Any, ...], inbox: Inbox, check_every: float = 2.0
    ) -> None:
        self._spawn = multiprocessing.get_context("spawn")  # never fork a process with threads and sockets
        self._main, self._args = main, args
        self.wake: Wake = Signal(self._spawn)
        self.stop: Wake = Signal(self._spawn)
        self._last_request: Stamp = self._spawn.RawValue("d", 0.0)
        self.restarts = 0
        self.process = self._start()
        inbox.db.leave_checkpoints_to_others()
        inbox.notify = self.wake.set
        inbox.activity = Activity(self._last_request)
        self._watch = threading.Thread(target=self._supervise, args=(check_every,), daemon=True)
        self._watch.start()

    def _start(self) -> multiprocessing.process.BaseProcess:
        process = self._spawn.Process(
            target=_worker_main,
            args=(self._main, os.getpid(), self._args, self.wake, self.stop, self._last_request),
            name="servicebot-worker",
            daemon=True,
        )
        process.start()
        return process

    def _supervise(self, check_every: float) -> None:
        while not self.stop.wait(check_every):
            if not self.process.is_alive():
                log.error("worker process exited (code %s); starting another", self.process.exitcode)
                self.restarts += 1
                self.process = self._start()

    def close(self, timeout: float = 10.0) -> None:
        """Ask the worker to stop after the request in hand; after `timeout`, end it (what it was doing
        stays in the inbox and is done again by the next worker: the work is idempotent)."""
        self.stop.set()
        self.wake.set()
        self._watch.join(timeout)
        self.process.join(timeout)
        if self.process.is_alive():
            # It ignores SIGTERM (see _worker_main), so ending it takes SIGKILL; its request stays in
            # the inbox and is done again by the next worker.
            log.warning("worker process did not stop within %ss; killing it", timeout)
            self.process.kill()
            self.process.join()


def _worker_main(
    main: WorkerMain, parent: int, args: tuple[Any, ...], wake: Wake, stop: Wake, last_request: Stamp
) -> None:
    """The worker process: `main`, told to stop by the parent, or by the parent's death."""
    # Ctrl-C in a terminal, and SIGTERM from `timeout` or systemd's KillMode=control-group, reach the
    # whole process group. The parent decides when the worker stops (it sets `stop` once the
    # acknowledgements in flight are done), so the worker ignores both.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Acknowledgements are due within 3 seconds and the work is not: when both want the CPU (a burst on
    # a machine with few cores), the kernel serves the web process first and the worker catches up after.
    os.nice(WORKER_NICENESS)
    main(*args, wake, _StopOrOrphaned(stop, parent), Activity(last_request))


class Signal:
    """Set, seen by every process until cleared, like a multiprocessing Event; but `set()` never waits.

    An Event's set() waits for each process sleeping on it to wake up. One killed while it slept (kill -9,
    the OOM killer) never does, and every later set() hangs for good: the web process sets `wake` after
    recording each request, so one worker dying in its sleep would stop every acknowledgement after it.
    A semaphore's release returns at once, whoever died; a waiter that takes the count puts it back."""

    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self._count = context.Semaphore(0)

    def set(self) -> None:
        if not self.is_set():  # one is enough: keeps the count from growing with every request
            self._count.release()

    def is_set(self) -> bool:
        if self._count.acquire(False):
            self._count.release()
            return True
        return False

    def clear(self) -> None:
        while self._count.acquire(False):
            pass

    def wait(self, timeout: float | None = None) -> bool:
        if self._count.acquire(True, timeout):
            self._count.release()
            return True
        return False


class _StopOrOrphaned:
    """`stop`, or set when the parent is gone. A parent killed outright (SIGKILL, the OOM killer) cannot
    set `stop`, and setting it here could hang: the dead parent's supervisor may be registered as a
    waiter on it, and a multiprocessing Event's set() waits for every waiter to wake. So the worker asks
    the kernel instead: once orphaned it is adopted by another process and its parent id changes."""

    def __init__(self, stop: Wake, parent: int) -> None:
        self._stop, self._parent = stop, parent

    def is_set(self) -> bool:
        return os.getppid() != self._parent or self._stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if left <= 0:
                return False
            self._stop.wait(left)
        return True

    def set(self) -> None:
        self._stop.set()

    def clear(self) -> None:
        self._stop.clear()
