"""`servicebot db upgrade|current`: the schema, in the main database and (on SQLite) the inbox file."""

from __future__ import annotations

import argparse

from servicebot.bootstrap import open_database, stored_revision, unknown_revision
from servicebot.config import Settings
from servicebot.services.facts import FactsService
from servicebot.storage import migrate
from servicebot.storage.db import safe_url


def run(args: argparse.Namespace, settings: Settings) -> int:
    head = migrate.head_revision()
    databases = {settings.database_url: "database"}
    # On SQLite the inbox is a second file with the same schema; each line names which file it is about.
    databases.setdefault(settings.inbox_database_url, "inbox database")
    if args.db_command == "current":
        # Only reads: a missing file, or one with no ServiceBot schema, is reported and left as it was.
        for url, role in databases.items():
            at = stored_revision(url)
            state = "the latest" if at == head else f"latest is {head}; run 'servicebot db upgrade'"
            print(f"{role} {safe_url(url)}: at {at} ({state})")
        return 0
    for url, role in databases.items():
        database = open_database(url)
        try:
            before = migrate.current_revision(database.engine)
            if before is not None and not migrate.is_known(before):
                # Upgrading cannot go anywhere from a revision it does not know (alembic would raise).
                raise unknown_revision(repr(database.safe_url), before)
            migrate.upgrade(database.engine)
            after = migrate.current_revision(database.engine)
            if after == before:
                print(f"{role} {database.safe_url}: already at {after} (the latest)")
            else:
                print(f"{role} {database.safe_url}: upgraded from {before or 'empty'} to {after}")
                if role == "database" and before is not None:
                    # Tickets logged before the contact-facts projection existed get their rows now.
                    filled = FactsService(database, settings).fill_missing()
                    if filled:
                        print(f"{role} {database.safe_url}: contact facts rebuilt for {filled:,} tickets")
        finally:
            database.dispose()
    return 0
