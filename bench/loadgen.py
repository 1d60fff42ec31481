"""A closed-loop HTTP load generator: C client threads on keep-alive connections, one POST per request.

Standard library only, so that it runs in a child process (``LoadProcess``) without importing the
app: on a 2-core machine, client threads in the server's own process would compete with it for the GIL
and their queueing would be counted as the server's ack latency.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# One request: body and headers (already signed).
Request = tuple[bytes, dict[str, str]]


@dataclass
class LoadResult:
    started: float  # time.monotonic() when the first request went out (system-wide clock on Linux)
    finished: float  # time.monotonic() when the last response had been read
    latencies: list[float]  # seconds, send -> response read, in request order
    statuses: list[int]  # HTTP status per request; 0 for a transport error
    errors: list[str]

    @property
    def elapsed(self) -> float:
        return self.finished - self.started


def run_load(url: str, requests: list[Request], concurrency: int, timeout: float = 30.0) -> LoadResult:
    """POST every request once, from `concurrency` threads that each take the next request when free."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    latencies = [0.0] * len(requests)
    statuses = [0] * len(requests)
    errors: list[str] = []
    next_index = iter(range(len(requests)))
    index_lock = threading.Lock()
    threads = max(1, min(concurrency, len(requests)))
    ready = threading.Barrier(threads + 1)
    go = threading.Event()

    def take() -> int | None:
        with index_lock:
            return next(next_index, None)

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()  # connection set-up is not part of any request's latency
        except OSError as exc:
            errors.append(f"connect: {exc}")
        ready.wait()
        go.wait()
        try:
            while (i := take()) is not None:
                body, headers = requests[i]
                t0 = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    statuses[i] = response.status
                except (OSError, http.client.HTTPException) as exc:
                    statuses[i] = 0
                    errors.append(f"request {i}: {type(exc).__name__}: {exc}")
                    conn.close()  # http.client reconnects on the next request
                latencies[i] = time.perf_counter() - t0
        finally:
            conn.close()

    pool = [threading.Thread(target=worker, name=f"load-{n}", daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    ready.wait()
    started = time.monotonic()
    go.set()
    for thread in pool:
        thread.join()
    return LoadResult(started, time.monotonic(), latencies, statuses, errors)


def _serve(conn: Connection) -> None:
    """Child process loop: receive (url, requests, concurrency), answer a LoadResult; None stops it."""
    while True:
        try:
            job: Any = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        url, requests, concurrency = job
        conn.send(run_load(url, requests, concurrency))
    conn.close()


class LoadProcess:
    """`run_load` in a child interpreter (``python -m bench.loadgen FD``) talking over a socket pair.

    A plain subprocess rather than multiprocessing: spawn would re-import the parent's main module
    (the whole app) in the child, and fork would copy a parent that already runs server threads.
    """

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", str(child.fileno())],
            cwd=root,
            pass_fds=(child.fileno(),),
        )
        child.close()
        self._conn = Connection(parent.detach())

    def run(self, url: str, requests: list[Request], concurrency: int) -> LoadResult:
        self._conn.send((url, requests, concurrency))
        try:
            result: LoadResult = self._conn.recv()
        except EOFError:
            raise RuntimeError(f"load generator exited (code {self._process.poll()})") from None
        return result

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._conn.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)


class LoadInProcess:
    """`run_load` on threads of this process (``--client thread``): for comparison only."""

    def run(self, url: str, requests: list[Request], concurrency: int) -> LoadResult:
        return run_load(url, requests, concurrency)

    def close(self) -> None:
        pass


if __name__ == "__main__":
    # Through the package, so results pickle as bench.loadgen.LoadResult, not __main__.LoadResult.
    from bench.loadgen import _serve as serve_jobs

    serve_jobs(Connection(int(sys.argv[1])))
