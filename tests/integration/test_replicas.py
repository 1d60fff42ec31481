"""Several replicas on one database: workers share the inbox and relays the outbox without doing anything
twice, a claim whose holder died is taken over once it lapses, and one leader runs the scheduled work.

Each "replica" here is a second set of services built on the same settings: its own engine and pool, as
another process has; the database is the only thing they share. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update

from servicebot.bootstrap import Services, build_services
from servicebot.domain.outbox import Attempt, Sent
from servicebot.runtime.claims import release_orphans
from servicebot.runtime.leader import AdvisoryLock, Election, Leadership, LeaseRow, election_for
from servicebot.runtime.outbox import Relay
from servicebot.runtime.worker import Worker
from servicebot.storage import models
from servicebot.storage.tables import inbound_requests
from servicebot.triage import model_store
from servicebot.triage.classifier import training_key
from servicebot.triage.engine import catalogue_examples
from servicebot.triage.model_store import SharedModels
from tests.conftest import Clock, on_postgresql
from tests.support import postgres


@pytest.fixture
def replica(services: Services, clock: Clock) -> Iterator[Services]:
    other = build_services(services.settings, clock=clock, background_training=False)
    yield other
    other.close()


def _accept(services: Services, n: int) -> list[str]:
    keys = [f"event:Ev{i:04d}" for i in range(n)]
    for key in keys:
        assert services.inbox.accept(key, "event", {"n": key})
    return keys


def test_workers_on_two_replicas_claim_each_request_once(services: Services, replica: Services) -> None:
    keys = _accept(services, 120)
    done: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(name: str, inbox: Any) -> None:
        barrier.wait()
        while True:
            claimed = inbox.claim(7)
            if not claimed:
                return
            for request in claimed:
                done[name].append(request.key)
                inbox.done(request.key)

    threads = [
        threading.Thread(target=work, args=("a", services.inbox)),
        threading.Thread(target=work, args=("b", replica.inbox)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(done["a"] + done["b"]) == keys, "every request done, none twice"
    assert services.inbox.due() == []


def test_a_claim_whose_worker_died_is_taken_over_when_it_lapses(
    services: Services, replica: Services, clock: Clock
) -> None:
    keys = _accept(services, 3)
    taken = services.inbox.claim(10)  # ... and this worker dies with them in hand
    assert [r.key for r in taken] == keys
    assert replica.inbox.claim(10) == [], "claimed: not another worker's yet"
    clock.advance(seconds=services.inbox.claim_for.total_seconds() - 1)
    assert replica.inbox.claim(10) == []
    clock.advance(seconds=1)
    again = replica.inbox.claim(10)
    assert [r.key for r in again] == keys, "taken over, in order"
    assert not services.inbox.still_mine(taken[0]) and replica.inbox.still_mine(again[0])
    for request in again:
        replica.inbox.done(request.key)
    services.inbox.done(keys[0])  # the first worker was only slow: its late finish changes nothing
    assert services.inbox.due() == [] and replica.inbox.claim(10) == []


def test_a_stopping_worker_lets_go_of_what_it_claimed_and_did_not_do(
    services: Services, replica: Services
) -> None:
    keys = _accept(services, 4)
    stop = threading.Event()
    seen: list[str] = []

    def process(payload: dict[str, Any]) -> None:
        seen.append(payload["n"])
        stop.set()  # asked to stop during the first request

    assert Worker(services.inbox, {"event": process}, batch=10).run_once(stop) == 1
    assert seen == keys[:1]
    assert [r.key for r in replica.inbox.claim(10)] == keys[1:], "free at once, not after the claim lapses"


class _Recording:
    """A sender that records what it was asked to deliver (the fake Slack's part, in memory)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def deliver(
        self, method: str, payload: dict[str, Any], *, key: str = "", maybe_sent: bool = False
    ) -> Attempt:
        with self._lock:
            self.sent.append(str(payload["text"]))
        return Sent({"ok": True, "channel": "C1", "ts": f"{len(self.sent)}.0"})


def test_relays_on_two_replicas_send_each_message_once_in_thread_order(
    services: Services, replica: Services
) -> None:
    for n in range(60):
        thread = f"thread-{n % 6}"
        services.outbox.send(
            f"m{n:03d}", "chat.postMessage", {"channel": "C1", "text": f"{thread}:{n:03d}"}, thread=thread
        )
    senders = [_Recording(), _Recording()]
    relays = [Relay(services.outbox, senders[0], batch=4), Relay(replica.outbox, senders[1], batch=4)]
    barrier = threading.Barrier(2)

    def run(relay: Relay) -> None:
        barrier.wait()
        while relay.run_once():
            pass

    threads = [threading.Thread(target=run, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    both = senders[0].sent + senders[1].sent
    assert sorted(both) == sorted(f"thread-{n % 6}:{n:03d}" for n in range(60)), "each once"
    assert services.outbox.counts()["sent"] == 60
    # Order within each thread: the outbox's sent_at order per thread is the recording order.
    sent = sorted(services.outbox.listed(None, 100), key=lambda m: (m.sent_at, m.id))
    for n in range(6):
        ids = [m.id for m in sent if m.thread == f"thread-{n}"]
        assert ids == sorted(ids), f"thread-{n} out of order"


def test_a_message_claimed_by_a_relay_that_died_is_sent_by_another_after_the_claim(
    services: Services, replica: Services, clock: Clock
) -> None:
    services.outbox.send("k1", "chat.postMessage", {"channel": "C1", "text": "hello"}, thread="t")
    services.outbox.send("k2", "chat.postMessage", {"channel": "C1", "text": "after"}, thread="t")
    assert [m.key for m in services.outbox.claim("dead-relay", 10)] == ["k1"]
    sender = _Recording()
    relay = Relay(replica.outbox, sender)
    assert relay.run_once() == 0, "claimed by another: not sent, and nothing after it in its thread"
    clock.advance(seconds=services.outbox.claim_for.total_seconds())
    assert relay.run_once() == 2 and sender.sent == ["hello", "after"]


# -- one leader ---------------------------------------------------------------------------------------


def _elections(services: Services, replica: Services, clock: Clock) -> tuple[Election, Election]:
    return election_for(services.db, clock), election_for(replica.db, clock)


def test_one_leader_at_a_time_and_the_other_takes_over_when_it_resigns(
    services: Services, replica: Services, clock: Clock
) -> None:
    first, second = _elections(services, replica, clock)
    assert isinstance(first, AdvisoryLock if on_postgresql() else LeaseRow)
    assert first.hold() and not second.hold()
    assert first.hold(), "renewed"
    first.resign()
    assert second.hold() and not first.hold()
    second.resign()


def test_a_leader_that_dies_is_replaced_within_a_bounded_time(
    services: Services, replica: Services, clock: Clock
) -> None:
    first, second = _elections(services, replica, clock)
    assert first.hold()
    if isinstance(first, AdvisoryLock):
        # The process is gone: its connection ends (as the server sees a killed process's socket close).
        pid = first._connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        postgres.server().execute(f"SELECT pg_terminate_backend({pid})")
        assert second.hold(), "the lock went with the connection: taken at the next look"
    else:
        assert isinstance(first, LeaseRow)
        clock.advance(seconds=first.ttl.total_seconds() - 1)
        assert not second.hold(), "the lease has not lapsed yet"
        clock.advance(seconds=1)
        assert second.hold(), "lapsed unrenewed: taken"
    assert not first.hold(), "the old leader, back, finds it has lost"
    second.resign()


def test_leadership_starts_and_stops_the_scheduled_work(
    services: Services, replica: Services, clock: Clock
) -> None:
    events: list[str] = []
    first = Leadership(
        election_for(services.db, clock), lambda: events.append("a up"), lambda: events.append("a down")
    )
    second = Leadership(
        election_for(replica.db, clock), lambda: events.append("b up"), lambda: events.append("b down")
    )
    assert first.tick() and not second.tick()
    assert first.tick() and events == ["a up"], "started once, not at every look"
    first.stop()
    assert second.tick()
    assert events == ["a up", "a down", "b up"]
    second.stop()
    assert events[-1] == "b down"


def test_a_lease_leader_that_cannot_renew_stands_down_before_its_lease_can_lapse(
    services: Services, replica: Services, clock: Clock
) -> None:
    if on_postgresql():
        pytest.skip("the advisory lock has no lease to renew")
    lease = LeaseRow(services.db, clock, ttl=timedelta(seconds=30))
    assert lease.hold()
    services.db._pragmas["query_only"] = 1  # the database now refuses this process's writes
    services.db.engine.dispose()
    try:
        assert lease.hold(), "still within half its life: leads on"
        lease._renewed = (lease._renewed or 0) - 15
        assert not lease.hold(), "half its life gone unrenewed: stands down"
    finally:
        services.db._pragmas.pop("query_only")
        services.db.engine.dispose()


# -- triage models: one replica trains, the others load ------------------------------------------------


def _examples(services: Services) -> tuple[list[str], list[str]]:
    """The catalogue's examples but one: a model of these tests' own, which the services' own triage
    (trained on the whole catalogue) neither stores nor waits for."""
    examples = catalogue_examples(services.catalogue)[1:]
    return [e.text for e in examples], [e.label for e in examples]


@pytest.fixture
def counted_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The real `fit`, counted; and no classifier remembered in this process, so each replica must get
    its own from the database or by training."""
    fits: list[int] = []
    real_fit = model_store.fit

    def fit(*args: Any, **kwargs: Any) -> Any:
        fits.append(1)
        time.sleep(0.3)  # long enough that two replicas asking at once overlap
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(model_store, "fit", fit)
    monkeypatch.setattr(model_store, "_trained", OrderedDict())
    return fits


def test_two_replicas_asking_at_once_train_a_model_once(
    services: Services, replica: Services, clock: Clock, counted_fits: list[int]
) -> None:
    texts, labels = _examples(services)
    shared = [
        SharedModels(services.db, clock, poll_seconds=0.05),
        SharedModels(replica.db, clock, poll_seconds=0.05),
    ]
    got: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def ask(n: int) -> None:
        barrier.wait()
        got[n] = model_store.train(texts, labels, shared=shared[n])

    threads = [threading.Thread(target=ask, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(counted_fits) == 1, "trained by one replica only"
    assert got[0] is not None and got[1] is not None
    assert np.array_equal(got[0].weights, got[1].weights) and got[0].labels == got[1].labels


def test_a_replica_whose_trainer_died_trains_the_model_itself(
    services: Services, replica: Services, clock: Clock, counted_fits: list[int]
) -> None:
    texts, labels = _examples(services)
    key = training_key(texts, labels)
    with services.db.transaction() as session:
        assert models.claim(session, key, "a-replica-that-died", clock(), clock() + timedelta(minutes=10))
    patient = SharedModels(replica.db, clock, claim_for=timedelta(seconds=0.5), poll_seconds=0.05)
    assert model_store.train(texts, labels, shared=patient).labels
    assert len(counted_fits) == 1


def test_only_the_newest_models_are_kept(services: Services, clock: Clock) -> None:
    for n in range(7):
        clock.advance(minutes=1)
        with services.db.transaction() as session:
            models.store(session, f"key{n}", b"model %d" % n, clock(), keep=5)
    with services.db.read() as session:
        kept = [k for k in (f"key{n}" for n in range(7)) if models.content(session, k) is not None]
    assert kept == ["key2", "key3", "key4", "key5", "key6"]


def test_a_lease_row_holds_one_leader_on_either_database(
    services: Services, replica: Services, clock: Clock
) -> None:
    first, second = LeaseRow(services.db, clock), LeaseRow(replica.db, clock)
    assert first.hold() and not second.hold()
    clock.advance(seconds=first.ttl.total_seconds())
    assert second.hold() and not first.hold()
    second.resign()
    assert first.hold()


def test_a_restarted_worker_takes_over_at_once_what_a_dead_process_of_this_host_claimed(
    services: Services, clock: Clock
) -> None:
    """A claim lapses by itself for another machine's sake; this machine knows its dead processes."""
    keys = _accept(services, 3)
    host = socket.gethostname()[:60]
    exited = _spawned_and_gone()  # a process that has exited: its pid names no one now
    gone = f"{host}:{exited}:deadbeef"
    alive = f"{host}:{os.getppid()}:cafebabe"
    elsewhere = f"another-machine:{exited}:feedface"
    with services.inbox.db.transaction() as session:  # on SQLite the inbox is a file of its own
        for key, holder in zip(keys, (gone, alive, elsewhere), strict=True):
            session.execute(
                update(inbound_requests)
                .where(inbound_requests.c.key == key)
                .values(claimed_by=holder, claimed_until=clock() + timedelta(minutes=1))
            )
    services.outbox.send("k1", "chat.postMessage", {"channel": "C1", "text": "x"}, thread="t")
    assert [m.key for m in services.outbox.claim(gone)] == ["k1"]
    assert release_orphans(services.inbox.db, services.db) == 2
    assert [r.key for r in services.inbox.claim(10)] == keys[:1], "only the dead local process's"
    assert [m.key for m in services.outbox.claim("me")] == ["k1"]


def _spawned_and_gone() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
