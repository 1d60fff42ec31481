"""Stopping the worker waits for the request in hand, not for the rest of its batch."""

from __future__ import annotations

import threading
from typing import Any

from servicebot.bootstrap import Services
from servicebot.runtime.worker import Worker


def test_a_stop_set_during_a_batch_leaves_the_rest_in_the_inbox(services: Services) -> None:
    for n in range(3):
        assert services.inbox.accept(f"event:Ev{n}", "event", {"n": n})
    stop = threading.Event()
    done: list[int] = []

    def process(payload: dict[str, Any]) -> None:
        done.append(payload["n"])
        stop.set()  # a signal arrives while the first request is being worked

    worker = Worker(services.inbox, {"event": process})
    assert worker.run_once(stop) == 1
    assert done == [0]
    assert [request.key for request in services.inbox.due()] == ["event:Ev1", "event:Ev2"]
