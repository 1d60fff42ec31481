"""The worker process beside the web process, restarted if it dies: the inbox keeps its work meanwhile.

One worker: SQLite has a single writer anyway, and one process doing the work in order is plenty for a
council's desk (hundreds of requests an hour, each a few milliseconds). What the worker runs is the front
end's business (`main`, a module-level function so a spawned process can import it); this module only
starts it, wakes it when requests arrive, tells it how busy the acknowledgements are, and restarts it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from servicebot.runtime.inbox import Counter, Inbox, InFlight
from servicebot.runtime.worker import Wake

log = logging.getLogger("servicebot")

# main(*args, wake, stop, busy): work until `stop` is set; `wake` is set when new requests are stored.
WorkerMain = Callable[..., None]


class WorkerProcess:
    def __init__(
        self, main: WorkerMain, args: tuple[Any, ...], inbox: Inbox, check_every: float = 2.0
    ) -> None:
        self._spawn = multiprocessing.get_context("spawn")  # never fork a process with threads and sockets
        self._main, self._args = main, args
        self.wake: Wake = self._spawn.Event()
        self.stop: Wake = self._spawn.Event()
        self._busy: Counter = self._spawn.Value("i", 0)
        self.restarts = 0
        self.process = self._start()
        inbox.db.leave_checkpoints_to_others()
        inbox.notify = self.wake.set
        inbox.in_flight = InFlight(self._busy)
        self._watch = threading.Thread(target=self._supervise, args=(check_every,), daemon=True)
        self._watch.start()

    def _start(self) -> multiprocessing.process.BaseProcess:
        process = self._spawn.Process(
            target=_worker_main,
            args=(self._main, os.getpid(), self._args, self.wake, self.stop, self._busy),
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
        if self.process.is_alive():
            # A multiprocessing Event's set() waits for its sleepers to wake: a worker that died while
            # waiting (killed with the whole process group, or by the OOM killer) would hang it for ever.
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
    main: WorkerMain, parent: int, args: tuple[Any, ...], wake: Wake, stop: Wake, busy: Counter
) -> None:
    """The worker process: `main`, told to stop by the parent, or by the parent's death."""
    # Ctrl-C in a terminal, and SIGTERM from `timeout` or systemd's KillMode=control-group, reach the
    # whole process group. The parent decides when the worker stops (it sets `stop` once the
    # acknowledgements in flight are done), so the worker ignores both.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    main(*args, wake, _StopOrOrphaned(stop, parent), busy)


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
