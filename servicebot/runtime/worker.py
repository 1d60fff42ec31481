"""The worker: does the work for recorded requests, after the web process has acknowledged them.

What the work is comes from the front end (`handlers` gives one processor per kind of Slack request); this
module only drains the inbox. It runs in its own process in production (`servicebot.runtime.supervisor`),
so CPU-bound work never competes with acknowledgements for the interpreter lock. The inbox is its queue:
a request whose work fails stays there and is retried with backoff, so a Slack outage or a crash delays
work but never loses it. Processors are idempotent, so doing a request's work twice is harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from servicebot.runtime.inbox import Inbox

Processor = Callable[[dict[str, Any]], None]

log = logging.getLogger("servicebot.worker")


class Wake(Protocol):
    """threading.Event or multiprocessing.Event."""

    def wait(self, timeout: float | None = None) -> bool: ...
    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...


class Worker:
    """`busy` says whether the web process is acknowledging requests right now. Before each piece of work
    the worker gives way to them for up to `max_yield` seconds: acknowledgements are due within 3 seconds
    and cost well under a millisecond, while the work can wait, and catches up after a burst. One second:
    a burst that goes on still makes a ticket a second meanwhile, and the work's queries (on a database
    server that may share the web process's CPU) stay out of the acknowledgements' way."""

    def __init__(
        self,
        inbox: Inbox,
        processors: Mapping[str, Processor],
        batch: int = 20,
        busy: Callable[[], bool] = lambda: False,
        max_yield: float = 1.0,
        deliver: Callable[[Wake | None], int] | None = None,
    ) -> None:
        """`deliver`: sends what the work recorded to send (the outbox relay); run after each batch of
        work and on every idle tick, so a reply goes out at once and a retry when it is due."""
        self.inbox = inbox
        self.deliver = deliver
        self.processors = processors
        self.batch = batch
        self.busy = busy
        self.max_yield = max_yield

    def _give_way(self) -> None:
        deadline = time.monotonic() + self.max_yield
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.005)

    def run_once(self, stop: Wake | None = None) -> int:
        """Process what is due now, or until `stop` is set; returns how many requests were finished."""
        inbox = self.inbox
        finished = 0
        claimed = inbox.claim(self.batch)
        for n, request in enumerate(claimed):
            if stop is not None and stop.is_set():
                # The rest stay in the inbox, let go at once for the next worker; stopping waits for none.
                inbox.release(claimed[n:])
                break
            self._give_way()
            if not inbox.still_mine(request):
                # The claim lapsed while earlier work took long: another replica's worker may have it now.
                log.warning("%s: claim lapsed before its turn; left to whoever claims it", request.key)
                continue
            process = self.processors.get(request.kind)
            try:
                if process is None:
                    raise LookupError(f"no processor for requests of kind {request.kind!r}")
                process(request.payload)
            except Exception as exc:
                backoff = inbox.failed(request, f"{type(exc).__name__}: {exc}")
                log.exception(
                    "%s failed (attempt %d); retrying in %s", request.key, request.attempts + 1, backoff
                )
                continue
            inbox.done(request.key)
            finished += 1
        return finished

    def run_forever(self, wake: Wake, stop: Wake, poll_seconds: float = 1.0) -> None:
        """Work until `stop` is set. `wake` is set when new requests arrive; polling catches retries."""
        while not stop.is_set():
            wake.clear()  # before looking, so a request stored while we work wakes us again
            try:
                finished = self.run_once(stop)
            except Exception:
                log.exception("worker loop failed; carrying on")
                finished = 0
            if self.deliver is not None:
                try:
                    self.deliver(stop)
                except Exception:
                    log.exception("delivering the outbox failed; carrying on")
            if finished == 0:
                wake.wait(poll_seconds)
