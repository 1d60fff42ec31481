"""More bad input to the installed `servicebot` command (a new user's probe): numbers too big for the
database, empty paths and labels, a port or host that cannot be listened on, half a Slack setup, files that
are not ServiceBot databases, and a console role that contradicts the configuration. Each ends in one line
naming what is wrong and what to do, exit 2 (usage, configuration) and never a traceback."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from servicebot.domain.ids import MAX_ROW_ID
from servicebot.storage import migrate
from tests.support.cli import servicebot
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.live_app import SIGNING_SECRET

TOO_BIG = "99999999999999999999999"


def _one_line(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("tickets", "list", "--limit", TOO_BIG), "--limit"),
        (("tickets", "list", "--limit", str(2**63)), "--limit"),
        (("tickets", "list", "--limit", "100001"), "--limit"),
        (("intents", "learned", "--limit", TOO_BIG), "--limit"),
        (("intents", "revoke", TOO_BIG), "ids"),
        (("intents", "revoke", str(2**63)), "ids"),
        (("intents", "revoke", str(MAX_ROW_ID + 1)), "ids"),
        (("serve", "--http", "--port", TOO_BIG), "--port"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_a_number_too_big_is_refused_with_its_range(
    tmp_path: Path, args: tuple[str, ...], option: str
) -> None:
    line = _one_line(servicebot(tmp_path, *args))
    assert f"argument {option}: expected a number of at most" in line and "the range is" in line, line
    assert list(tmp_path.iterdir()) == [], "refused before any database is opened"


def test_the_largest_id_is_looked_up_not_refused(tmp_path: Path) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    # The largest a row id can be on both backends (PostgreSQL's INTEGER is 32 bits).
    result = servicebot(tmp_path, "intents", "revoke", str(MAX_ROW_ID))
    assert result.returncode == 1, result
    assert "not found or already revoked" in result.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("intents", "eval", "--train", "t.csv", "--test", "t.csv", "--oos-label", ""), "--oos-label"),
        (("intents", "eval", "--train", "", "--test", "t.csv"), "--train"),
        (("intents", "eval", "--train", "t.csv", "--test", " "), "--test"),
        (("intents", "eval", "--train", "t.csv", "--test", "t.csv", "--predictions", ""), "--predictions"),
        (("triage", "--batch", ""), "--batch"),
        (("intents", "check", "--dir", ""), "--dir"),
        (("intents", "import", ""), "file"),
        (("intents", "revoke", "--batch", ""), "--batch"),
    ],
    ids=lambda value: (
        " ".join(repr(v) if not v.strip() else v for v in value) if isinstance(value, tuple) else value
    ),
)
def test_an_empty_path_or_label_is_refused_by_name(
    tmp_path: Path, args: tuple[str, ...], option: str
) -> None:
    (tmp_path / "t.csv").write_text("text,label\nprinter jammed,printer\nvpn down,vpn\n", encoding="utf-8")
    line = _one_line(servicebot(tmp_path, *args))
    assert f"argument {option}: expected a" in line and "got an empty one" in line, line


def test_version_is_the_installed_package_version(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"servicebot {version('servicebot')}"


# ---- serve: a port or host that cannot be listened on


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _serve(tmp_path: Path, slack: FakeSlack, *args: str) -> subprocess.CompletedProcess[str]:
    return servicebot(
        tmp_path,
        "serve",
        "--http",
        *args,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
    )


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path, slack: FakeSlack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # One line also means no Bolt warning ("token will be unused") before it.
        line = _one_line(_serve(tmp_path, slack, "--host", "127.0.0.1", "--port", str(port)))
    assert line.startswith(f"servicebot: --port: cannot listen on 127.0.0.1:{port}"), line
    assert "in use" in line and "choose another port" in line


def test_serve_on_a_host_that_is_not_there_says_so_in_one_line(tmp_path: Path, slack: FakeSlack) -> None:
    line = _one_line(_serve(tmp_path, slack, "--host", "no such host", "--port", "0"))
    assert line.startswith("servicebot: --host: cannot listen on no such host:0"), line
    assert "127.0.0.1" in line


# ---- run: half a Slack setup is a configuration error, not the console


@pytest.mark.parametrize(
    ("name", "value", "mode"),
    [("SLACK_APP_TOKEN", "xapp-bogus", "Socket Mode"), ("SLACK_SIGNING_SECRET", "s3cret", "HTTP")],
)
def test_run_with_a_slack_credential_but_no_bot_token_is_refused(
    tmp_path: Path, name: str, value: str, mode: str
) -> None:
    line = _one_line(servicebot(tmp_path, "run", stdin="help\n", **{name: value}))
    assert line.startswith(f"servicebot: SLACK_BOT_TOKEN: {name} is set"), line
    assert mode in line and f"unset {name}" in line
    assert list(tmp_path.iterdir()) == [], "refused before the database is created"


# ---- read-only commands on a file that is not a ServiceBot database

READ_ONLY = [
    ("tickets", "list"),
    ("tickets", "show", "T-00001"),
    ("triage", "printer jammed"),
    ("intents", "learned"),
    ("intents", "revoke", "1"),
    ("db", "current"),
]


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    connection.close()


def _text_file(path: Path) -> None:
    path.write_text("these are someone's notes, not a database\n" * 100, encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
@pytest.mark.parametrize(
    ("make", "why"),
    [
        (Path.touch, "the file is empty"),
        (_foreign, "no ServiceBot tables in it"),
        (_text_file, "cannot be read as SQLite: file is not a database"),
    ],
    ids=["empty file", "another program's SQLite", "not SQLite"],
)
def test_a_command_that_only_reads_leaves_a_file_that_is_not_ours_alone(
    tmp_path: Path, args: tuple[str, ...], make: object, why: str
) -> None:
    database = tmp_path / "console.db"
    make(database)  # type: ignore[operator]
    before = _snapshot(tmp_path)
    line = _one_line(servicebot(tmp_path, *args, stdin="printer jammed\n"))
    assert f"no ServiceBot database at '{database}' ({why})" in line, line
    assert "servicebot db upgrade" in line
    assert _snapshot(tmp_path) == before, "nothing migrated, nothing created (no inbox file)"


@pytest.mark.sqlite_only  # about SQLite files: made, or left alone
def test_a_command_that_only_reads_asks_for_an_upgrade_of_an_older_database(tmp_path: Path) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    head = migrate.head_revision()
    engine = create_engine(f"sqlite:///{tmp_path / 'console.db'}")
    migrate.downgrade(engine, "-1")
    older = migrate.current_revision(engine)
    engine.dispose()
    assert older is not None and older != head
    line = _one_line(servicebot(tmp_path, "tickets", "list"))
    assert f"is at revision {older}, older than this version's {head}" in line, line
    assert "run 'servicebot db upgrade' to update it" in line
    current = servicebot(tmp_path, "db", "current")
    assert current.returncode == 0, current.stderr
    assert f"at {older} (latest is {head}; run 'servicebot db upgrade')" in current.stdout.splitlines()[0]
    engine = create_engine(f"sqlite:///{tmp_path / 'console.db'}")
    assert migrate.current_revision(engine) == older, "not upgraded by a command that only reads"
    engine.dispose()


@pytest.mark.sqlite_only  # the revision edited in the SQLite file
def test_db_upgrade_of_a_database_from_a_newer_version_says_so_without_a_traceback(tmp_path: Path) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "console.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    result = servicebot(tmp_path, "db", "upgrade")
    assert result.returncode == 2
    line = _one_line(result)
    assert "is at revision 0099, which this version of ServiceBot does not know" in line, line
    with sqlite3.connect(tmp_path / "console.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0099",)


# ---- console: a --role below the configured one


def test_console_refuses_a_role_below_the_users_configured_one(tmp_path: Path) -> None:
    result = servicebot(
        tmp_path, "console", "--user", "U1", "--role", "requester", stdin="help\n", SERVICEBOT_AGENTS="U1"
    )
    line = _one_line(result)
    assert line.startswith("servicebot: --role requester: U1 is an agent in the configuration"), line
    assert "another --user" in line
    assert list(tmp_path.iterdir()) == [], "refused before the database is created"


def test_console_takes_the_requester_role_for_someone_who_is_not_staff(tmp_path: Path) -> None:
    result = servicebot(
        tmp_path, "console", "--user", "U2", "--role", "requester", stdin="help\n", SERVICEBOT_AGENTS="U1"
    )
    assert result.returncode == 0, result.stderr
