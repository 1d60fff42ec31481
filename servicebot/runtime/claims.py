"""Claims left by a process of this machine that no longer exists, let go at once.

A claim lapses by itself (`Inbox.claim_for`, `OutboxService.claim_for`), which is what a replica on another
machine relies on. On this machine we can do better: a worker that crashed or was killed is restarted by
its supervisor, and the new one should not wait out the dead one's claims. A holder id names its host and
process id (`holder_id`), so claims whose process is gone from this host are released when a worker starts.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from sqlalchemy.orm import Session

from servicebot.storage import inbox as inbox_rows
from servicebot.storage import outbox as outbox_rows
from servicebot.storage.db import Database

log = logging.getLogger("servicebot.claims")


def _dead_here(holder: str) -> bool:
    """Whether `holder` (`host:pid:suffix`) was a process of this host that has exited."""
    before, _, _suffix = holder.rpartition(":")
    host, _, pid = before.rpartition(":")
    if host != socket.gethostname()[:60] or not pid.isascii() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False  # alive (another user's), or no pid at all
    return False


def release_orphans(inbox_db: Database, outbox_db: Database) -> int:
    """Release the claims of this host's dead processes on requests and messages; returns how many holders."""
    released = 0
    tables: list[tuple[Database, Callable[[Session], set[str]], Callable[[Session, str], None]]] = [
        (inbox_db, inbox_rows.claim_holders, inbox_rows.release_holder),
        (outbox_db, outbox_rows.claim_holders, outbox_rows.release_holder),
    ]
    for db, holders, release in tables:
        with db.transaction() as session:
            for holder in holders(session):
                if _dead_here(holder):
                    release(session, holder)
                    released += 1
                    log.info("released the claims of %s, a process of this host that is gone", holder)
    return released
