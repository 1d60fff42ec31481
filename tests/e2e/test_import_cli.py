"""`servicebot import` and `servicebot facts rebuild` as a user runs them: the real command, a real file,
wrong arguments and broken files answered in one line, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from servicebot.storage import migrate
from servicebot.storage.db import Database
from tests.conftest import NO_DATABASE
from tests.support.cli import servicebot

CALLS = (
    "date,desk,line,offered,answered,answered_within_40s,abandoned,total_wait_seconds,total_handle_seconds\n"
    "2016-12-05,contact,main line,1000,950,800,50,19000,285000\n"
    "2016-12-05,contact,highways,1000,1100,800,50,19000,285000\n"
)


def test_import_reports_rows_written_and_rejected_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(CALLS, encoding="utf-8")
    assert (
        servicebot(tmp_path, "db", "upgrade").returncode == 0
    )  # a dry run only reads: the database must exist
    dry = servicebot(tmp_path, "import", "calls", str(path), "--dry-run")
    assert dry.returncode == 1, dry.stderr  # a rejected row: scripts must notice
    assert dry.stdout.splitlines() == [
        f"{path}: 2 rows read, 1 valid, 1 rejected; would write 1 new, 0 updated, 0 unchanged "
        "(dry run: nothing was written)",
        "  row 3, answered: 1,100 answered is more than the 1,000 offered",
    ]
    first = servicebot(tmp_path, "import", "calls", str(path))
    assert "wrote 1 new, 0 updated, 0 unchanged" in first.stdout
    again = servicebot(tmp_path, "import", "calls", str(path))
    assert "wrote 0 new, 0 updated, 1 unchanged" in again.stdout
    path.write_text(CALLS.splitlines()[0] + "\n" + CALLS.splitlines()[1] + "\n", encoding="utf-8")
    clean = servicebot(tmp_path, "import", "calls", str(path))
    assert clean.returncode == 0 and clean.stderr == ""


@pytest.mark.parametrize(
    ("args", "content", "says", "code"),
    [
        (("import", "calls", "missing.csv"), None, "servicebot: missing.csv: no such file", 2),
        (("import", "calls", "."), None, "servicebot: .: is a folder, not a file", 2),
        (("import", "calls", ""), None, "expected a path, got an empty one", 2),
        (("import", "phone", "x.csv"), None, "argument kind: invalid choice: 'phone'", 2),
        (("import", "calls"), None, "the following arguments are required: file", 2),
        (("import", "calls", "x.csv"), b"\xff\xfe\x00garbage", "x.csv: not UTF-8 (line 1", 2),
        (("import", "calls", "x.csv"), b"", "x.csv: empty; the first line must name the columns", 2),
        (("import", "calls", "x.csv"), b"text,label\nhi,there\n", "x.csv: missing column(s) date", 2),
        (("import", "tickets", "x.csv"), b"ref,desk\nA,ict\n", "x.csv: missing column(s) logged_at", 2),
    ],
)
def test_wrong_arguments_and_broken_files_are_one_line(
    tmp_path: Path, args: tuple[str, ...], content: bytes | None, says: str, code: int
) -> None:
    if content is not None:
        (tmp_path / "x.csv").write_bytes(content)
    result = servicebot(tmp_path, *args)
    assert result.returncode == code
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


PAST = (
    "ref,desk,logged_at,requester,resolved_at,resolver,escalated\n"
    "OLD-1,ict,2016-12-05T09:00,U1,2016-12-05T09:20,U9,\n"
    "OLD-2,ict,2016-12-05T10:00,U2,2016-12-06T10:00,U9,true\n"
)


@pytest.mark.sqlite_only  # an old schema made by downgrading a SQLite file
def test_facts_rebuild_and_an_upgrade_from_before_the_projection(tmp_path: Path) -> None:
    path = tmp_path / "past.csv"
    path.write_text(PAST, encoding="utf-8")
    assert servicebot(tmp_path, "import", "tickets", str(path)).returncode == 0
    rebuilt = servicebot(tmp_path, "facts", "rebuild")
    assert rebuilt.returncode == 0
    assert rebuilt.stdout.startswith("contact facts rebuilt for 2 tickets in ")
    # A database from before migration 0003: its tickets get their facts when it is upgraded.
    database = Database(f"sqlite:///{tmp_path / 'console.db'}")
    migrate.downgrade(database.engine, "0002")
    database.dispose()
    upgraded = servicebot(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "contact facts rebuilt for 2 tickets" in upgraded.stdout
    with sqlite3.connect(tmp_path / "console.db") as connection:
        rows = connection.execute(
            "SELECT first_contact, reasons FROM contact_facts ORDER BY ticket_id"
        ).fetchall()
    assert rows == [(1, ""), (0, "escalated")]


def test_metrics_states_each_rate_with_its_counts(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text(CALLS, encoding="utf-8")
    (tmp_path / "past.csv").write_text(PAST, encoding="utf-8")
    servicebot(tmp_path, "import", "calls", "calls.csv")
    servicebot(tmp_path, "import", "tickets", "past.csv")
    shown = servicebot(tmp_path, "metrics", "--period", "2016-12", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    figures = json.loads(shown.stdout)["figures"]
    assert figures["fcr"] == {"value": 50.0, "numerator": 1.0, "denominator": 2.0}
    assert figures["contacts"]["value"] == 2.0
    assert figures["calls_answered"] is None  # the ICT desk had no calls imported
    contact = servicebot(tmp_path, "metrics", "--period", "2016-12", "--desk", "contact")
    assert "calls_answered             95.00 (950 of 1,000)" in contact.stdout
    for args, says in (
        (("--period", "2016-13"), "there is no month 13"),
        (("--period", "Dec"), "write the month as YYYY-MM"),
        (("--period", "2016-12", "--desk", "hr"), "--desk"),
    ):
        wrong = servicebot(tmp_path, "metrics", *args)
        assert wrong.returncode != 0 and says in wrong.stderr and "Traceback" not in wrong.stderr


def test_commands_that_only_read_create_no_database(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text(CALLS, encoding="utf-8")
    for args in (
        ("metrics", "--period", "2016-12"),
        ("import", "calls", "calls.csv", "--dry-run"),
        ("facts", "rebuild"),
    ):
        result = servicebot(tmp_path, *args)
        assert result.returncode == 2 and NO_DATABASE in result.stderr, (args, result.stderr)
        assert not (tmp_path / "console.db").exists(), args
