"""The replicas load test's harness (`bench/bench_replicas.py`) at a small size: two real `servicebot serve
--http` replicas on one PostgreSQL, events spread over both by the load generator and a share of them
delivered again to the other replica. What the bench checks at 10,000 events is checked here at 300: every
ack 200, no transport error, one ticket per distinct event, each ticket card posted once. No timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_events import EventFactory, ict_texts
from bench.bench_replicas import build_stream, harness
from tests.conftest import database_url, on_postgresql


@pytest.mark.skipif(
    not on_postgresql(),
    reason="replicas on one PostgreSQL: runs in the PostgreSQL pass (make test-postgresql)",
)
def test_retries_to_the_other_replica_under_load_make_one_ticket_each(tmp_path: Path) -> None:
    with harness(database_url(tmp_path, "replicas")) as h:
        stats = h.replicas_round(300, concurrency=30, retry_share=0.1, round_no=1)
    assert stats.requests == 330, "300 events and 30 retries were sent"
    assert stats.share == [165, 165], "half to each replica, retries to the other one"
    assert stats.non_200 == {}, stats.failures
    assert stats.transport_errors == 0, stats.failures
    assert stats.tickets == 300
    assert stats.cards == 300
    assert stats.cards_twice == 0
    assert stats.inbox_rows == 300
    assert (stats.unprocessed, stats.failed) == (0, 0)
    assert stats.failures == []


def test_a_retry_goes_later_in_the_stream_to_the_other_replica() -> None:
    stream = build_stream(EventFactory(ict_texts()), 100, 0.1, gap=7, replicas=2)
    assert stream.retried == 10
    assert len(stream.requests) == 110
    first_seen: dict[bytes, tuple[int, int]] = {}  # body -> (originals sent before it, its replica)
    resent = 0
    for (body, headers), target in zip(stream.requests, stream.targets, strict=True):
        if body not in first_seen:
            assert "X-Slack-Retry-Num" not in headers
            first_seen[body] = (len(first_seen), target)
            continue
        originals_before, original_target = first_seen[body]
        assert headers["X-Slack-Retry-Num"] == "1"
        assert target != original_target, "a retry lands on the other replica"
        # At least `gap` other events went out in between, unless the stream ran out of them first.
        assert len(first_seen) - 1 - originals_before >= 7 or len(first_seen) == 100
        resent += 1
    assert resent == 10
    assert stream.targets.count(0) == stream.targets.count(1) == 55, "retries to both replicas alike"
    assert len(first_seen) == 100
