"""A closed-loop HTTP load generator: C client threads on keep-alive connections, one POST per request,
to one URL or spread over several (replicas behind a load balancer).

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
from collections.abc import Sequence
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


def run_load(
    url: str | Sequence[str],
    requests: list[Request],
    concurrency: int,
    timeout: float = 30.0,
    targets: Sequence[int] | None = None,
) -> LoadResult:
    """POST every request once, from `concurrency` threads that each take the next request when free.

    Several URLs (replicas behind a load balancer): request i goes to ``url[targets[i]]`` (round-robin
    when `targets` is None). Client thread t sends only to ``url[t % n]``, on one keep-alive connection,
    as a balancer holds a pool of connections per backend: a replica gets ``concurrency / n`` connections,
    not `concurrency`. Each URL's requests are sent in their order in `requests`."""
    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise ValueError("run_load needs at least one URL")
    n = len(urls)
    target_of = [i % n for i in range(len(requests))] if targets is None else list(targets)
    if len(target_of) != len(requests) or any(not 0 <= t < n for t in target_of):
        raise ValueError("targets must give a URL index for every request")
    latencies = [0.0] * len(requests)
    statuses = [0] * len(requests)
    errors: list[str] = []
    queues = [iter([i for i, t in enumerate(target_of) if t == k]) for k in range(n)]
    locks = [threading.Lock() for _ in range(n)]
    # At least one thread per URL, so that every URL's requests are sent.
    threads = max(n, min(concurrency, len(requests)))
    ready = threading.Barrier(threads + 1)
    go = threading.Event()

    def take(k: int) -> int | None:
        with locks[k]:
            return next(queues[k], None)

    def worker(k: int) -> None:
        parts = urlsplit(urls[k])
        host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()  # connection set-up is not part of any request's latency
        except OSError as exc:
            errors.append(f"connect: {exc}")
        ready.wait()
        go.wait()
        try:
            while (i := take(k)) is not None:
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

    pool = [
        threading.Thread(target=worker, args=(t % n,), name=f"load-{t}", daemon=True) for t in range(threads)
    ]
    for thread in pool:
        thread.start()
    ready.wait()
    started = time.monotonic()
    go.set()
    for thread in pool:
        thread.join()
    return LoadResult(started, time.monotonic(), latencies, statuses, errors)


def _serve(conn: Connection) -> None:
    """Child process loop: receive (url, requests, concurrency, targets), answer a LoadResult; None stops
    it."""
    while True:
        try:
            job: Any = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        url, requests, concurrency, targets = job
        conn.send(run_load(url, requests, concurrency, targets=targets))
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

    def run(
        self,
        url: str | Sequence[str],
        requests: list[Request],
        concurrency: int,
        targets: Sequence[int] | None = None,
    ) -> LoadResult:
        self._conn.send((url if isinstance(url, str) else list(url), requests, concurrency, targets))
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

    def run(
        self,
        url: str | Sequence[str],
        requests: list[Request],
        concurrency: int,
        targets: Sequence[int] | None = None,
    ) -> LoadResult:
        return run_load(url, requests, concurrency, targets=targets)

    def close(self) -> None:
        pass


if __name__ == "__main__":
    # Through the package, so results pickle as bench.loadgen.LoadResult, not __main__.LoadResult.
    from bench.loadgen import _serve as serve_jobs

    serve_jobs(Connection(int(sys.argv[1])))
