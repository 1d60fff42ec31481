"""Serving until told to stop: SIGTERM and SIGINT ask for a clean stop, and the WSGI server drains.

A process manager (systemd, Kubernetes, a terminal's Ctrl-C) stops the web process with a signal. Python's
default for SIGTERM ends the process on the spot: no `finally`, so the worker process was left running
and the inbox writer was never flushed. Here a signal only sets `Stop`; whoever serves notices, stops
accepting, lets the requests it has already read be answered (each is recorded before it is acknowledged,
so an acknowledged request is never lost), and returns for the caller to stop the worker and close up.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

# What a loop does between checks for a stop: short enough that a signal is acted on at once to a person,
# long enough to cost nothing while idle.
POLL_SECONDS = 0.2


# A request's thread spends most of its time waiting for the inbox's commit (on PostgreSQL, for the disk):
# with few threads, requests queue for a thread rather than joining the batch being committed. Threads that
# wait cost no CPU; 32 let a burst's requests share commits (bench/bench_events.py: 8 gave half the acks/s
# on PostgreSQL).
THREADS = 32
# waitress stops accepting connections beyond this (its default, 100, counts its own two sockets): a load
# balancer keeping a pool of keep-alive connections to each replica must not find some of them unanswered.
CONNECTION_LIMIT = 1000


class CannotListen(Exception):
    """The server could not listen on the host and port given; `errno` when the system said why."""

    def __init__(self, reason: str, errno: int | None = None) -> None:
        super().__init__(reason)
        self.errno = errno


class Stop:
    """Set once by a signal (or a test); `reason` names what asked."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str = "asked") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)


@contextmanager
def stop_on_signals(stop: Stop) -> Iterator[Stop]:
    """SIGTERM and SIGINT set `stop` instead of ending the process (or raising KeyboardInterrupt) while
    inside; the previous handlers come back on the way out. Main thread only (a rule of `signal`)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def serve_wsgi(
    app: Callable[..., Any],
    host: str,
    port: int,
    stop: Stop,
    *,
    on_listening: Callable[[str, int], None] = lambda host, port: None,
    threads: int = THREADS,
    drain_seconds: float = 10.0,
) -> None:
    """Serve `app` with waitress until `stop` is set, then drain: stop accepting, finish the requests
    already received (at most `drain_seconds`), stop the threads. Raises CannotListen if it cannot."""
    try:
        server: Any = create_server(
            app, host=host, port=port, threads=threads, connection_limit=CONNECTION_LIMIT, ident="servicebot"
        )
    except OSError as exc:  # the port taken, a privileged port, an address not on this machine
        raise CannotListen(str(exc.strerror or exc), exc.errno) from exc
    except ValueError as exc:
        # waitress says only "Invalid host/port specified." when the host does not resolve.
        raise CannotListen("not an address of this machine, nor a name that resolves to one") from exc
    # waitress's own run() has no way to stop but an exception in its loop, which would drop requests
    # in flight; its loop is run here in slices instead, checking for a stop between them.
    try:
        on_listening(str(server.effective_host), int(server.effective_port))
        while not stop.is_set():
            wasyncore.loop(timeout=POLL_SECONDS, map=server._map, count=1)
        wasyncore.dispatcher.close(server)  # the listening socket only: new connections are refused
        deadline = time.monotonic() + drain_seconds
        while _requests_in_flight(server) and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.05, map=server._map, count=1)
    finally:
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=drain_seconds)
        wasyncore.close_all(server._map)


def _requests_in_flight(server: Any) -> bool:
    """A request being read, being answered, or whose answer is not yet sent. Idle keep-alive
    connections do not count: nothing of theirs is lost by closing them."""
    return any(
        channel.request is not None or channel.requests or channel.total_outbufs_len
        for channel in list(server.active_channels.values())
    )
