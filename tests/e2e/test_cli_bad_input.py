"""Bad input to the `servicebot` command, through the installed command: one line that says what is
wrong and what to do, the right exit status, never a traceback, and nothing created by mistake."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicebot.storage import migrate
from tests.support.cli import SERVICEBOT, cli_env, servicebot

NO_DATABASE = "no database at"


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A month of demo history (~7,000 tickets): far more output than a pipe holds."""
    folder = tmp_path_factory.mktemp("demo")
    loaded = servicebot(folder, "demo", "load", "--months", "1", "--seed", "5")
    assert loaded.returncode == 0, loaded.stderr
    yield folder


def test_a_reader_that_stops_early_ends_the_command_quietly(demo_folder: Path) -> None:
    """`servicebot tickets list --limit 5000 | head -3`: the write that finds the pipe closed."""
    process = subprocess.Popen(
        [str(SERVICEBOT), "tickets", "list", "--limit", "5000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(demo_folder),
        cwd=demo_folder,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(300).startswith(b"T-")
    # Over 500 KB is still to come and a pipe holds 64 KB, so the command writes into a closed pipe.
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors


def test_a_reader_gone_before_the_exit_flush_is_quiet_too(demo_folder: Path) -> None:
    """Fifty lines fit in stdout's buffer, so they are written only when the command flushes at the end;
    the pipe's read end is closed before the command starts, so that flush is certain to fail."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [str(SERVICEBOT), "tickets", "list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=cli_env(demo_folder),
            cwd=demo_folder,
            timeout=60,
        )
    finally:
        os.close(write_end)
    errors = result.stderr.decode()
    assert result.returncode == 1
    assert "BrokenPipeError" not in errors and "Exception ignored" not in errors, errors


def test_an_oversized_csv_field_costs_its_row_only(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text(
        "text,label\n"
        "vpn keeps dropping every hour,vpn_remote_access\n"
        '"the bin was not collected\nagain this week",bin_collection\n'
        f'"{"word " * 40_000}",bin_collection\n'
        "need a blue badge for my mum,blue_badge\n",
        encoding="utf-8",
    )
    result = servicebot(tmp_path, "intents", "import", str(history))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "row 4 (line 5): a field of 200,000 characters is over the 131,072" in result.stderr
    assert "imported 3 example(s)" in result.stdout and "1 skipped" in result.stdout


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        (("triage", "--batch", "/"), 2, "--batch: '/' is a folder"),
        (("intents", "check", "--dir", "/nonexistent"), 2, "--dir: '/nonexistent' does not exist"),
        (("intents", "check", "--dir", "/etc/hostname"), 2, "is a file, not a folder"),
        (("intents", "import", "/"), 2, "intents import: '/' is a folder"),
        (("intents", "import", "nosuch.csv"), 2, "intents import: no such file 'nosuch.csv'"),
        (("intents", "revoke", "--batch", "nosuch"), 1, "no import batch 'nosuch'"),
        (("intents", "eval", "--train", "/", "--test", "x.csv"), 2, "--train: '/' is a folder"),
        (("tickets", "list", "--queue", "nosuch"), 2, "--queue: no queue 'nosuch'; choose one of"),
        (("demo", "load", "--months", "1000"), 2, "--months: expected 1 to 36 months, got 1000"),
        (("console", "--user", ""), 2, "--user: '' cannot be a user id"),
        (("console", "--user", "U012 AB"), 2, "--user: 'U012 AB' cannot be a user id"),
        (("console", "--user", "U0<script>"), 2, "cannot be a user id"),
        (("console", "--desk", "hr"), 2, "--desk: Unknown desk 'hr'; choose one of: ict, contact"),
        (("intents", "import", "h.csv", "--by", " "), 2, "--by: ' ' cannot be a user id"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_a_misleading_answer_is_now_the_true_one(
    tmp_path: Path, args: tuple[str, ...], status: int, expected: str
) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    result = servicebot(tmp_path, *args, stdin="printer jammed\n")
    assert result.returncode == status, result
    assert expected in result.stderr
    _no_traceback(result)
    assert result.stdout == ""


def test_eval_refuses_a_predictions_path_before_training(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("text,label\nvpn keeps dropping,vpn\nbin not collected,bins\n", encoding="utf-8")
    result = servicebot(
        tmp_path, "intents", "eval", "--train", str(data), "--test", str(data), "--predictions", "/no/x.csv"
    )
    assert result.returncode == 2
    assert "--predictions: the folder '/no' does not exist" in result.stderr
    _no_traceback(result)


def test_eval_with_one_label_to_learn_says_so(tmp_path: Path) -> None:
    data = tmp_path / "one.csv"
    data.write_text("text,label\nprinter broken,printer\nprinter jammed,printer\n", encoding="utf-8")
    result = servicebot(tmp_path, "intents", "eval", "--train", str(data), "--test", str(data))
    assert result.returncode == 2, result
    assert "training needs examples of at least two labels; got 1 (printer)" in result.stderr
    _no_traceback(result)


def test_revoking_a_batch_twice_says_so(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text("text,label\nvpn keeps dropping,vpn_remote_access\n", encoding="utf-8")
    imported = servicebot(tmp_path, "intents", "import", str(history))
    batch = imported.stdout.split("batch '")[1].split("'")[0]
    first = servicebot(tmp_path, "intents", "revoke", "--batch", batch)
    assert first.returncode == 0 and "revoked 1 example(s)" in first.stdout
    again = servicebot(tmp_path, "intents", "revoke", "--batch", batch)
    assert again.returncode == 1
    assert f"revoked 0 example(s); batch {batch!r} was already revoked" in again.stdout


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
def test_db_upgrade_names_each_database_and_says_what_it_did(tmp_path: Path) -> None:
    main, inbox = tmp_path / "console.db", tmp_path / "console.inbox.db"
    head = migrate.head_revision()
    first = servicebot(tmp_path, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"database sqlite:///{main}: upgraded from empty to {head}",
        f"inbox database sqlite:///{inbox}: upgraded from empty to {head}",
    ]
    again = servicebot(tmp_path, "db", "upgrade")
    assert again.stdout.splitlines() == [
        f"database sqlite:///{main}: already at {head} (the latest)",
        f"inbox database sqlite:///{inbox}: already at {head} (the latest)",
    ]
    current = servicebot(tmp_path, "db", "current")
    assert current.stdout.splitlines()[0] == f"database sqlite:///{main}: at {head} (the latest)"


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
@pytest.mark.parametrize(
    "args",
    [
        ("tickets", "list"),
        ("tickets", "show", "T-00001"),
        ("triage", "printer jammed"),
        ("triage", "--batch", "-"),
        ("intents", "learned"),
        ("intents", "revoke", "1"),
        ("db", "current"),
    ],
    ids=" ".join,
)
def test_a_command_that_only_reads_does_not_create_a_database(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = servicebot(tmp_path, *args, stdin="printer jammed\n")
    assert result.returncode == 2, result
    assert f"{NO_DATABASE} '{tmp_path / 'console.db'}'" in result.stderr
    assert "servicebot db upgrade" in result.stderr
    _no_traceback(result)
    assert list(tmp_path.iterdir()) == [], "nothing created"


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
@pytest.mark.parametrize(
    "args",
    [("db", "upgrade"), ("console",), ("demo", "load", "--months", "1", "--if-empty")],
    ids=" ".join,
)
def test_a_command_that_writes_creates_the_database(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = servicebot(tmp_path, *args, stdin="help\n")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "console.db").is_file()


def test_tickets_show_prints_what_people_wrote(tmp_path: Path) -> None:
    script = (
        "the projector in room 4 is dead\n"
        "assign T-00001\n"
        "callback T-00001 rang back about the lamp\n"
        "note T-00001 lamp ordered\n"
        "resolve T-00001 swapped the lamp\n"
        "reopen T-00001 flickering again\n"
    )
    logged = servicebot(tmp_path, "console", "--user", "U0AGENT01", stdin=script)
    assert logged.returncode == 0, logged.stderr
    shown = servicebot(tmp_path, "tickets", "show", "T-00001")
    assert shown.returncode == 0, shown.stderr
    for said in (
        "note: rang back about the lamp",
        "comment: lamp ordered",
        "note: swapped the lamp",
        "reason: flickering again",
    ):
        assert said in shown.stdout
    assert "resolution: fixed" in shown.stdout
