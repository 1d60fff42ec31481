"""The retention policy: the free text of tickets closed longer ago than `retention.closed_ticket_text_days`
is removed, and every fact the metrics and KPIs read is kept (times, states, desk, intent, queue, source,
first-contact resolution, rating, resolution).

What is removed, per ticket: its text (the `tickets` row and its created event), every note, reason and
comment in its history, the payloads of the outbox messages about it (its card, notices, the bot's answers in
its threads), and the labelled examples taught from it (their text is the requester's; they are revoked,
so triage forgets them, and their audit row stays). A `text_purged` event is appended, so the history says
when, and a purged ticket is never purged again. Inbound Slack requests are a delivery queue: every processed
request received before the cutoff is deleted, whatever it was about (a retry never comes years later).

One transaction per batch of tickets, so a long purge never holds the write lock for long and a stop
in the middle leaves whole tickets purged or untouched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from servicebot.config import ConfigError, Settings
from servicebot.domain.clock import Clock
from servicebot.domain.tickets import SYSTEM_ACTOR, Ticket
from servicebot.storage import retention as rows
from servicebot.storage import training
from servicebot.storage.db import Database

BATCH = 200
REVOKED_BECAUSE = "text removed under the retention policy"


class _RollBack(Exception):
    pass


@dataclass
class Purge:
    """What a run removed (or, dry, would remove)."""

    days: int
    cutoff: datetime
    dry_run: bool
    tickets: int = 0
    events: int = 0
    outbox_messages: int = 0
    examples: int = 0
    inbound_requests: int = 0
    ticket_refs: list[str] = field(default_factory=list)

    def lines(self, tz_name: str) -> list[str]:
        when = self.cutoff.astimezone(ZoneInfo(tz_name)).strftime("%d %b %Y %H:%M")
        verb = "would remove" if self.dry_run else "removed"
        days = f"{self.days:,} day{'' if self.days == 1 else 's'}"
        head = f"retention: closed tickets' text is kept {days}; tickets closed before {when}"
        head += f" ({tz_name}) are due"
        return [
            head,
            f"{verb} the text of {self.tickets:,} ticket(s): {self.events:,} history event(s) with text, "
            f"{self.outbox_messages:,} outbox message(s), {self.examples:,} taught example(s)",
            f"{verb} {self.inbound_requests:,} processed Slack request(s) received before then",
            *([f"tickets: {_shorten(self.ticket_refs)}"] if self.ticket_refs else []),
            *(["dry run: nothing was changed"] if self.dry_run else []),
        ]


def _shorten(refs: list[str], most: int = 20) -> str:
    shown = ", ".join(refs[:most])
    return shown + (f" and {len(refs) - most:,} more" if len(refs) > most else "")


@dataclass(frozen=True)
class RetentionService:
    db: Database
    inbox_db: Database | None  # None: no inbox to purge (a reading command's, until one is opened)
    settings: Settings
    clock: Clock

    def period(self) -> int:
        days = self.settings.retention.closed_ticket_text_days
        if days is None:
            raise ConfigError(
                f"retention.closed_ticket_text_days is not set in {self.settings.config_path} (null keeps "
                "closed tickets' text for ever), so there is nothing to purge; set it to a number of days, "
                "e.g. 730"
            )
        return days

    def apply(self, *, dry_run: bool = False, batch: int = BATCH) -> Purge:
        days = self.period()
        now = self.clock()
        purge = Purge(days=days, cutoff=now - timedelta(days=days), dry_run=dry_run)
        after = 0
        while True:
            ids: list[int] = []
            try:
                with self.db.transaction() as session:
                    ids = rows.due_tickets(session, purge.cutoff, after, batch)
                    self._purge(session, ids, purge, now)
                    if dry_run:
                        raise _RollBack  # the same work, undone: the counts are the real ones
            except _RollBack:
                pass
            if len(ids) < batch:
                break
            after = ids[-1]
        if self.inbox_db is not None:
            purge.inbound_requests = self._purge_inbox(purge.cutoff, dry_run, batch * 5)
        return purge

    def _purge(self, session: Session, ids: list[int], purge: Purge, now: datetime) -> None:
        if not ids:
            return
        histories = rows.histories(session, ids)
        events = rows.events_with_text(histories)
        rows.rewrite_event_text(session, events)
        purged = []
        for ticket_id in ids:
            ticket = Ticket.replay([event for _, event in histories[ticket_id]])
            ticket.record_text_purged(now, purge.days)
            purged.append(ticket)
            purge.ticket_refs.append(ticket.ref)
        rows.append_purged(session, purged)
        messages = rows.outbox_with_text(session, rows.outbox_threads(session, ids))
        rows.rewrite_outbox(session, messages)
        examples = rows.taught_examples(session, ids)
        rows.replace_example_text(session, [i for i, _ in examples])
        unrevoked = [i for i, revoked in examples if not revoked]
        if unrevoked:
            training.revoke(session, unrevoked, SYSTEM_ACTOR, now, REVOKED_BECAUSE)
        purge.tickets += len(ids)
        purge.events += len(events)
        purge.outbox_messages += len(messages)
        purge.examples += len(examples)

    def _purge_inbox(self, cutoff: datetime, dry_run: bool, batch: int) -> int:
        assert self.inbox_db is not None
        if dry_run:
            with self.inbox_db.read() as session:
                return rows.count_old_requests(session, cutoff)
        deleted = 0
        while True:
            with self.inbox_db.transaction() as session:
                done = rows.delete_old_requests(session, cutoff, batch)
            deleted += done
            if done < batch:
                return deleted
