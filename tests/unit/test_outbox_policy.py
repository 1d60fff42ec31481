"""The outbox's retry rules: growing pauses, Slack's Retry-After honoured, and a bounded number of tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicebot.domain.outbox import RetryPolicy

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _pauses(policy: RetryPolicy, retry_after: float | None = None) -> list[float | None]:
    pauses: list[float | None] = []
    for attempts in range(1, policy.max_attempts + 2):
        at = policy.next_attempt(attempts, NOW, retry_after)
        pauses.append(None if at is None else (at - NOW).total_seconds())
    return pauses


def test_pauses_double_up_to_the_cap_then_it_gives_up() -> None:
    policy = RetryPolicy(first=2, factor=2, cap=30, max_attempts=7)
    assert _pauses(policy) == [2, 4, 8, 16, 30, 30, None, None]


def test_slacks_retry_after_is_waited_for_and_never_cut_short() -> None:
    policy = RetryPolicy(first=2, factor=2, cap=30, max_attempts=4)
    assert _pauses(policy, retry_after=10) == [10, 10, 10, None, None]
    assert _pauses(policy, retry_after=0.5) == [2, 4, 8, None, None]


def test_the_default_rides_out_a_half_hour_outage() -> None:
    policy = RetryPolicy()
    waited = sum(p for p in _pauses(policy) if p is not None)
    assert timedelta(seconds=waited) >= timedelta(minutes=30)
    assert policy.next_attempt(policy.max_attempts, NOW) is None


@pytest.mark.parametrize("bad", [{"first": 0}, {"factor": 0.5}, {"cap": 1, "first": 2}, {"max_attempts": 0}])
def test_a_policy_that_could_not_work_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="not a retry policy"):
        RetryPolicy(**bad)  # type: ignore[arg-type]
