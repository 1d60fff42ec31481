"""The worker gives way to a burst of acknowledgements, for a bounded time, then works: on the real inbox."""

from __future__ import annotations

from typing import Any

from servicebot.bootstrap import Services
from servicebot.runtime.worker import Worker


def _two_requests(services: Services) -> None:
    for n in (1, 2):
        assert services.inbox.accept(f"event:{n}", "event", {"n": n})


def test_the_worker_waits_while_requests_arrive_and_works_once_they_stop(services: Services) -> None:
    _two_requests(services)
    looks: list[str] = []
    arriving = iter([True, True, True, False, True, False])

    def busy() -> bool:
        answer = next(arriving)
        looks.append("busy" if answer else "quiet")
        return answer

    def process(payload: dict[str, Any]) -> None:
        looks.append(f"work {payload['n']}")

    worker = Worker(services.inbox, {"event": process}, busy=busy, max_yield=60)
    assert worker.run_once() == 2
    assert looks == ["busy", "busy", "busy", "quiet", "work 1", "busy", "quiet", "work 2"]
    assert services.inbox.due(10) == [], "both marked done"


def test_the_worker_gives_way_for_at_most_max_yield_then_works_anyway(services: Services) -> None:
    _two_requests(services)
    processed: list[int] = []
    worker = Worker(
        services.inbox, {"event": lambda p: processed.append(p["n"])}, busy=lambda: True, max_yield=0.01
    )
    assert worker.run_once() == 2, "a burst that never ends does not stop the work"
    assert processed == [1, 2]
