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
import threading
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
            target=self._main,
            args=(*self._args, self.wake, self.stop, self._busy),
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
        self.stop.set()
        self.wake.set()
        self._watch.join(timeout)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
