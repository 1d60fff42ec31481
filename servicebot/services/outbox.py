"""The outbox as every front end and the relay use it: record a message once, settle each delivery attempt,
show and retry what failed. One transaction each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from servicebot.domain.clock import Clock
from servicebot.domain.errors import InvalidInput, NotFound
from servicebot.domain.outbox import (
    Attempt,
    GiveUp,
    Message,
    Notice,
    RetryPolicy,
    Sent,
    Status,
    TryAgain,
    Upload,
)
from servicebot.storage import outbox as rows
from servicebot.storage.db import Database


class OutboxService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        policy: RetryPolicy | None = None,
        claim_for: timedelta = timedelta(minutes=2),
    ) -> None:
        """`claim_for`: longer than a delivery can take (the Slack client's timeout and its retries)."""
        self.db = db
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.claim_for = claim_for

    def send(self, key: str, method: str, payload: dict[str, Any], *, thread: str) -> bool:
        """Record `method(**payload)` to be sent once, after everything recorded before it in `thread`.
        False when a message with this key was already recorded: a replayed request sends nothing twice."""
        with self.db.transaction() as session:
            return rows.record(session, key, thread, method, payload, self.clock())

    def notify(self, key: str, notice: Notice, *, thread: str, not_before: datetime | None = None) -> bool:
        """Record a notice (rendered by the front end when it is delivered); as `send`."""
        with self.db.transaction() as session:
            return rows.record_notice(session, key, notice, thread, self.clock(), not_before)

    def upload(self, key: str, upload: Upload, *, thread: str, not_before: datetime | None = None) -> bool:
        with self.db.transaction() as session:
            return rows.record_upload(session, key, upload, thread, self.clock(), not_before)

    def where_sent(self, key: str) -> tuple[str, str] | Attempt:
        """The channel and thread (its own ts, or its thread's if it was a reply) of the message recorded
        under `key`, once Slack has answered for it: what a reply into its thread needs. Else why not:
        TryAgain while it waits, GiveUp if it never will."""
        with self.db.read() as session:
            message = rows.by_key(session, key)
        if message is None:
            return GiveUp(f"the message it answers ({key}) was never recorded")
        if message.status is Status.PENDING:
            return TryAgain(f"the message it answers ({key}) is not sent yet")
        result = message.result or {}
        if message.status is Status.FAILED or not result.get("channel") or not result.get("ts"):
            return GiveUp(f"the message it answers ({key}, #{message.id}) was not sent")
        # A message that was itself a reply: what answers it goes into the same thread, under its parent.
        return str(result["channel"]), str(result.get("thread_ts") or result["ts"])

    def due(self, limit: int = 50) -> list[Message]:
        """What is due now (a look: nothing is claimed)."""
        with self.db.read() as session:
            return rows.due(session, self.clock(), limit)

    def claim(self, holder: str, limit: int = 50) -> list[Message]:
        """What is due now, claimed for `holder`'s relay for `claim_for`: relays on several replicas never
        deliver the same message at once, and one that died lets go when its claim lapses. A look first,
        without SQLite's write lock, for the idle relay's sake."""
        if not self.due(1):
            return []
        now = self.clock()
        with self.db.transaction() as session:
            return rows.claim(session, now, holder=holder, until=now + self.claim_for, limit=limit)

    def release(self, messages: Sequence[Message], holder: str) -> None:
        if messages:
            with self.db.transaction() as session:
                rows.release(session, [m.id for m in messages], holder)

    def still_mine(self, message: Message) -> bool:
        return message.claimed_until is None or self.clock() < message.claimed_until

    def settle(self, message: Message, attempt: Attempt) -> Status:
        """Record what one delivery attempt came to; returns the message's status after it."""
        now = self.clock()
        with self.db.transaction() as session:
            if isinstance(attempt, Sent):
                rows.mark_sent(session, message.id, attempt.result, now)
                return Status.SENT
            if isinstance(attempt, TryAgain):
                retry_at = self.policy.next_attempt(message.attempts + 1, now, attempt.retry_after)
                if retry_at is not None:
                    rows.mark_retry(session, message.id, attempt.error, retry_at)
                    return Status.PENDING
                error = f"{attempt.error} (gave up after {message.attempts + 1} tries)"
            else:
                assert isinstance(attempt, GiveUp)
                error = attempt.error
            rows.mark_failed(session, message.id, error)
            return Status.FAILED

    def latest(self, prefix: str) -> Message | None:
        """The newest message recorded under a key starting with `prefix`."""
        with self.db.read() as session:
            return rows.latest_with_prefix(session, prefix)

    # -- for people: `servicebot outbox list|retry` ---------------------------------------------------
    def listed(self, status: Status | None = None, limit: int = 50) -> list[Message]:
        if limit < 1:
            raise InvalidInput(f"--limit must be at least 1, not {limit}")
        with self.db.read() as session:
            return rows.listed(session, status, limit)

    def counts(self) -> dict[Status, int]:
        with self.db.read() as session:
            return rows.counts(session)

    def retry(self, ids: Sequence[int] | None = None) -> list[int]:
        """Failed messages (these, or all) are pending again, due now, with a fresh count of tries. An id
        that is not a failed message is refused by name, and then nothing is requeued."""
        with self.db.transaction() as session:
            if ids:
                known = {m.id: m for m in rows.by_ids(session, ids)}
                missing = [i for i in ids if i not in known]
                if missing:
                    raise NotFound(f"no outbox message {', '.join(f'#{i}' for i in missing)}")
                not_failed = [
                    f"#{i} is {known[i].status.value}" for i in ids if known[i].status != Status.FAILED
                ]
                if not_failed:
                    raise InvalidInput(f"only failed messages can be retried: {', '.join(not_failed)}")
            return rows.requeue(session, ids or None, self.clock())
