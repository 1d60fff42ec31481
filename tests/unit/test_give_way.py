"""What tells the worker that a burst of acknowledgements is going on (tests/integration/test_give_way.py:
what it does then)."""

from __future__ import annotations

import time

from servicebot.runtime.inbox import ACK_QUIET_SECONDS, Activity


class _Stamp:
    value = 0.0


def test_requests_count_as_arriving_until_a_quiet_gap_has_passed() -> None:
    stamp = _Stamp()
    activity = Activity(stamp)
    assert not activity.busy(), "nothing recorded yet"
    activity.touch()
    assert activity.busy()
    assert stamp.value <= time.monotonic(), "the stamp is the machine's monotonic clock, shared as a float"
    stamp.value = time.monotonic() - 2 * ACK_QUIET_SECONDS
    assert not activity.busy()
