"""`servicebot db upgrade|current`: the schema, in the main database and (on SQLite) the inbox file."""

from __future__ import annotations

import argparse

from servicebot.bootstrap import open_database
from servicebot.config import Settings
from servicebot.storage import migrate


def run(args: argparse.Namespace, settings: Settings) -> int:
    head = migrate.head_revision()
    databases = {settings.database_url: "database"}
    # On SQLite the inbox is a second file with the same schema; each line names which file it is about.
    databases.setdefault(settings.inbox_database_url, "inbox database")
    for url, role in databases.items():
        # `current` only reads: a missing file is reported, not created (upgrade creates it).
        database = open_database(url, must_exist=args.db_command == "current")
        try:
            before = migrate.current_revision(database.engine)
            if args.db_command == "upgrade":
                migrate.upgrade(database.engine)
                after = migrate.current_revision(database.engine)
                if after == before:
                    print(f"{role} {database.safe_url}: already at {after} (the latest)")
                else:
                    print(f"{role} {database.safe_url}: upgraded from {before or 'empty'} to {after}")
            else:
                state = "the latest" if before == head else f"latest is {head}; run 'servicebot db upgrade'"
                print(f"{role} {database.safe_url}: at {before or 'empty (no schema)'} ({state})")
        finally:
            database.dispose()
    return 0
