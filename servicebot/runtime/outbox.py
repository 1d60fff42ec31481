"""The relay: delivers what the outbox holds, in order within each thread, and records how each try went.

It runs in the worker process, after each piece of work and on every idle tick, so a message recorded by
the work just done goes out at once and a Slack outage only delays what waits. What a delivery is (which
API, which errors pass) is the front end's: a `Sender`.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from servicebot.domain.outbox import Attempt, Status, TryAgain, maybe_sent
from servicebot.runtime.inbox import holder_id
from servicebot.services.outbox import OutboxService

log = logging.getLogger("servicebot.outbox")


class Sender(Protocol):
    def deliver(
        self, method: str, payload: dict[str, Any], *, key: str = "", maybe_sent: bool = False
    ) -> Attempt:
        """`key`: the message's outbox key, which a sender may mark the sent message with; `maybe_sent`:
        the last try got no answer, so it may have been done: look before sending again."""
        ...


class Stop(Protocol):
    def is_set(self) -> bool: ...


class Relay:
    """`give_up_pass_after`: tries to be retried in a row after which a pass ends early. When Slack is
    down, every message would fail the same way, each after a timeout, while the worker that runs the
    relay has requests to do: the rest wait for their own next try."""

    def __init__(
        self, outbox: OutboxService, sender: Sender, batch: int = 50, give_up_pass_after: int = 3
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.batch = batch
        self.give_up_pass_after = give_up_pass_after
        self.holder = holder_id()

    def run_once(self, stop: Stop | None = None) -> int:
        """Try each message that is due now; returns how many were sent. A thread whose message is to be
        tried again sends nothing after it until it goes; one given up on no longer holds its thread.

        Messages are claimed before they are tried, so relays on several replicas never send the same one;
        what this pass claimed and did not try is let go when it ends, for the next pass or relay."""
        sent = 0
        blocked: set[str] = set()
        failing = 0
        while True:
            claimed = self.outbox.claim(self.holder, self.batch)
            if not claimed:
                return sent
            untried = {m.id: m for m in claimed}
            progressed = False
            try:
                for message in claimed:
                    if stop is not None and stop.is_set():
                        return sent
                    if message.thread in blocked:
                        continue
                    if not self.outbox.still_mine(message):
                        continue  # its claim lapsed: another relay may be sending it
                    del untried[message.id]
                    try:
                        attempt = self.sender.deliver(
                            message.method,
                            message.payload,
                            key=message.key,
                            # Perhaps done already: the last try got no answer, or the relay that had
                            # it claimed died with it in hand.
                            maybe_sent=maybe_sent(message.last_error) or message.taken_over,
                        )
                    except Exception as exc:  # a sender must not stop the relay; the message waits instead
                        log.exception("delivering outbox #%d (%s) raised", message.id, message.key)
                        attempt = TryAgain(f"{type(exc).__name__}: {exc}")
                    status = self.outbox.settle(message, attempt)
                    if status is Status.SENT:
                        sent += 1
                        failing = 0
                        progressed = True
                    elif status is Status.PENDING:
                        blocked.add(message.thread)  # order within the thread: nothing overtakes it
                        failing += 1
                        if failing >= self.give_up_pass_after:
                            return sent
                    else:
                        # Given up: it waits for a person (`servicebot outbox retry`), not its thread, and
                        # what came after it in the thread is due now.
                        progressed = True
                        log.warning("outbox #%d (%s) failed for good: %s", message.id, message.key, attempt)
            finally:
                self.outbox.release(list(untried.values()), self.holder)
            if not progressed:
                return sent
