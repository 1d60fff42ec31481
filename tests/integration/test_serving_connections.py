"""A load balancer keeps a pool of connections open to each replica: all of them are answered."""

from __future__ import annotations

import http.client
import queue
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from servicebot.runtime.serving import CONNECTION_LIMIT, Stop, serve_wsgi


def _ok(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_a_connection_beyond_waitress_default_of_100_is_still_answered() -> None:
    assert CONNECTION_LIMIT >= 300
    ports: queue.Queue[int] = queue.Queue()
    stop = Stop()
    server = threading.Thread(
        target=serve_wsgi,
        args=(_ok, "127.0.0.1", 0, stop),
        kwargs={"on_listening": lambda h, p: ports.put(p)},
    )
    server.start()
    idle: list[socket.socket] = []
    try:
        port = ports.get(timeout=10)
        # 150 keep-alive connections held open, as a load balancer's pool would; then a request on a new one.
        for _ in range(150):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"ok")
        connection.close()
    finally:
        for sock in idle:
            sock.close()
        stop.set()
        server.join(timeout=30)
