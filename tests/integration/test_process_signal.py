"""The signals between the web process and its worker: set by one, seen by the other, and never able to
hang the setter. A multiprocessing Event's set() hangs for good once a process sleeping on it was killed;
the web process sets the worker's `wake` after every request it records, so a worker that died in its
sleep would have stopped every acknowledgement after it."""

from __future__ import annotations

import multiprocessing
import threading
import time

from servicebot.runtime.supervisor import Signal

SPAWN = multiprocessing.get_context("spawn")


def _sleep_on(signal: Signal) -> None:
    signal.wait(60)


def _returns(call: object, within: float = 20.0) -> bool:
    """Whether `call()` returns at all (in a thread, so a hang fails the test instead of stalling it).
    A liveness check, not a speed one: the bound is generous and only a hang exceeds it."""
    done = threading.Event()
    threading.Thread(target=lambda: (call(), done.set()), daemon=True).start()  # type: ignore[operator]
    return done.wait(within)


def test_setting_a_signal_whose_sleeper_was_killed_returns() -> None:
    signal = Signal(SPAWN)
    sleeper = SPAWN.Process(target=_sleep_on, args=(signal,), daemon=True)
    sleeper.start()
    time.sleep(1.5)  # the sleeper is in wait() by now (a spawned interpreter starts in well under this)
    sleeper.kill()
    sleeper.join()
    assert _returns(signal.set), "set() hung after the process sleeping on the signal was killed"
    assert signal.is_set()


def test_the_multiprocessing_event_it_replaces_does_hang_so_the_test_above_can_fail() -> None:
    event = SPAWN.Event()
    sleeper = SPAWN.Process(target=event.wait, args=(60,), daemon=True)
    sleeper.start()
    time.sleep(1.5)
    sleeper.kill()
    sleeper.join()
    assert not _returns(event.set, within=3.0)


def test_a_signal_behaves_like_an_event_between_processes() -> None:
    signal = Signal(SPAWN)
    assert not signal.is_set() and signal.wait(0.01) is False
    signal.set()
    signal.set()  # twice is once
    assert signal.is_set() and signal.wait(0.01) and signal.is_set()  # waiting does not consume it
    signal.clear()
    assert not signal.is_set()
    waiter = SPAWN.Process(target=_sleep_on, args=(signal,))
    waiter.start()
    time.sleep(0.5)
    signal.set()
    waiter.join(20)
    assert waiter.exitcode == 0, "the other process saw the signal and stopped waiting"
