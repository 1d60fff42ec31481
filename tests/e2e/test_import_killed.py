"""A process killed during an import: the real `servicebot import tickets` on a large file, SIGKILLed once it
is provably inside its write transaction (it holds the database's write lock and has written pages), leaves
nothing of that import behind; the same import run again afterwards writes it all."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from servicebot.storage.db import with_driver
from servicebot.storage.tables import metadata
from tests.support.cli import SERVICEBOT, cli_env, servicebot

ROWS = 12_000


def _tickets_file(path: Path, rows: int, prefix: str) -> Path:
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ref", "desk", "logged_at", "text", "resolved_at"])
        for n in range(rows):
            at = start + timedelta(minutes=7 * n)
            out.writerow(
                [
                    f"{prefix}-{n:06d}",
                    "ict",
                    at.strftime("%Y-%m-%dT%H:%MZ"),
                    f"printer {n} on floor {n % 7} jammed",
                    (at + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ"),
                ]
            )
    return path


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for table in metadata.sorted_tables
        }


def _writing(url: str, engine: Engine) -> bool:
    """Whether another connection holds the write lock and has written into its transaction."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        wal = path.with_name(path.name + "-wal")
        if not wal.exists() or wal.stat().st_size < 512 * 1024:
            return False
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()
    # PostgreSQL: another backend holds a row-exclusive lock on the tickets table, in a transaction that has
    # inserted rows (they are invisible to us until it commits).
    with engine.connect() as connection:
        held = connection.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'ticket_events' AND l.mode = 'RowExclusiveLock' "
                "AND l.pid <> pg_backend_pid() AND l.granted"
            )
        ).scalar_one()
    return bool(held)


def test_an_import_killed_mid_transaction_writes_nothing_and_runs_again_whole(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    url = env["SERVICEBOT_DATABASE_URL"]
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    # Something imported before, which must stay as it was.
    earlier = servicebot(
        tmp_path, "import", "tickets", str(_tickets_file(tmp_path / "early.csv", 5, "EARLY"))
    )
    assert earlier.returncode == 0, earlier.stderr
    engine = create_engine(with_driver(url))
    try:
        before = _counts(engine)
        assert before["tickets"] == 5

        big = _tickets_file(tmp_path / "big.csv", ROWS, "OLD")
        process = subprocess.Popen(
            [str(SERVICEBOT), "import", "tickets", str(big)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 120
            while not _writing(url, engine):
                assert process.poll() is None, "the import ended before it was caught writing"
                assert time.monotonic() < deadline, "the import was never seen inside its transaction"
                time.sleep(0.01)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=30)
            process.stdout and process.stdout.close()  # type: ignore[func-returns-value]
            process.stderr and process.stderr.close()  # type: ignore[func-returns-value]
        assert process.returncode == -signal.SIGKILL

        # Nothing of the killed import: every table as it was, and the file sound.
        assert _counts(engine) == before
        if make_url(url).get_backend_name() == "sqlite":
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

        again = servicebot(tmp_path, "import", "tickets", str(big))
        assert again.returncode == 0, again.stderr
        assert f"{ROWS:,} rows read, {ROWS:,} valid, 0 rejected; wrote {ROWS:,} new" in again.stdout
        after = _counts(engine)
        assert after["tickets"] == before["tickets"] + ROWS
        assert after["contact_facts"] == before["contact_facts"] + ROWS
    finally:
        engine.dispose()
