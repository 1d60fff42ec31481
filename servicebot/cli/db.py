"""`servicebot db upgrade|current`: the schema, in the main database and (on SQLite) the inbox file."""

from __future__ import annotations

import argparse

from servicebot.bootstrap import open_database
from servicebot.config import Settings
from servicebot.storage import migrate


def run(args: argparse.Namespace, settings: Settings) -> int:
    for url in dict.fromkeys([settings.database_url, settings.inbox_database_url]):
        database = open_database(url)
        try:
            if args.db_command == "upgrade":
                migrate.upgrade(database.engine)
            current, head = migrate.current_revision(database.engine), migrate.head_revision()
            print(f"schema revision: {current} (head {head})")
        finally:
            database.dispose()
    return 0
