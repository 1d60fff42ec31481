"""The console front end and the CLI, driven as a user would: the installed command, stdin in, stdout out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servicebot.storage import migrate
from servicebot.storage.db import safe_url
from tests.conftest import database_url
from tests.support.cli import servicebot


def test_console_logs_triages_and_resolves_a_ticket(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "my mailbox is full and I can't send anything",
            "notfixed T-00001",
            "assign T-00001",
            "resolve T-00001 archived old mail with the user",
            "show T-00001",
            "mine",
        ]
    )
    result = servicebot(tmp_path, "console", "--user", "U0AGENT01", stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.strip().split("\n\n")
    assert len(replies) == 6
    assert replies[0].startswith("Logged T-00001") and "Mailbox" in replies[0]
    assert "fixed T-00001" in replies[0], "self-help is offered first"
    assert "stays open" in replies[1]
    assert "assigned to" in replies[2]
    assert "resolved" in replies[3] and "rate T-00001 up" in replies[3]
    history = replies[4]
    for kind in ("created", "triaged", "self_help_offered", "self_help_declined", "assigned", "resolved"):
        assert kind in history
    assert "none" in replies[5]  # resolved tickets are no longer open work


def test_console_as_requester_is_refused_agent_actions(tmp_path: Path) -> None:
    script = "my laptop will not turn on\nresolve T-00001\nrate T-00001 up\n"
    result = servicebot(tmp_path, "console", "--user", "U0STAFF1", "--role", "requester", stdin=script)
    replies = result.stdout.strip().split("\n\n")
    assert replies[0].startswith("Logged T-00001")
    assert replies[1].startswith("Sorry: Only agents of the ict desk (or a manager) can resolve tickets.")
    assert replies[2].startswith("Sorry: T-00001 is not resolved")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SERVICEBOT_DATABASE_URL": "sqlite:///:memory:"}, "SERVICEBOT_DATABASE_URL: an in-memory SQLite"),
        ({"SERVICEBOT_DATABASE_URL": "sqlite:////no/such/folder/x.db"}, "'/no/such/folder' does not exist"),
        ({"SERVICEBOT_DATABASE_URL": "nonsense://x"}, "SERVICEBOT_DATABASE_URL: cannot use nonsense://x"),
        (
            {"SERVICEBOT_DATABASE_URL": "mysql://bot:secret@db/x"},
            "SERVICEBOT_DATABASE_URL: cannot use mysql://bot:***@db/x: ServiceBot runs on SQLite",
        ),
        (
            # A bare postgresql:// means psycopg 3, the postgres extra's driver: say how to get it. (The
            # test environment has it; PYTHONPATH puts a psycopg that cannot be imported in front.)
            {"SERVICEBOT_DATABASE_URL": "postgresql://bot:secret@127.0.0.1:1/x", "PYTHONPATH": "{no-driver}"},
            "SERVICEBOT_DATABASE_URL: cannot use postgresql://bot:***@127.0.0.1:1/x: the PostgreSQL driver "
            "is not installed; install the postgres extra (psycopg 3): pip install '.[postgres]'",
        ),
        (
            {"SERVICEBOT_DATABASE_URL": "postgresql://bot:secret@127.0.0.1:1/x"},
            "SERVICEBOT_DATABASE_URL: cannot open postgresql://bot:***@127.0.0.1:1/x: connection failed",
        ),
        ({"SERVICEBOT_DATABASE_URL": "sqlite:////proc/servicebot.db"}, "cannot open sqlite:////proc/"),
        ({"SERVICEBOT_CONFIG": "/"}, "SERVICEBOT_CONFIG: '/' is a folder"),
    ],
    ids=[
        "in-memory",
        "missing-folder",
        "unknown-driver",
        "unsupported-database",
        "driver-not-installed",
        "nothing-answers",
        "unopenable",
        "config-folder",
    ],
)
@pytest.mark.parametrize("command", [("console",), ("tickets", "list"), ("db", "upgrade"), ("run",)])
def test_a_database_or_config_that_cannot_be_used_is_named_not_a_traceback(
    tmp_path: Path, env: dict[str, str], expected: str, command: tuple[str, ...]
) -> None:
    if command == ("tickets", "list") and expected.startswith("cannot open"):
        # A command that only reads stops before opening a file that is not there.
        expected = "no database at '/proc/servicebot.db'"
    if env.get("PYTHONPATH") == "{no-driver}":
        hidden = tmp_path / "no-driver" / "psycopg"
        hidden.mkdir(parents=True)
        (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'psycopg'\")\n")
        env = {**env, "PYTHONPATH": str(hidden.parent)}
    result = servicebot(tmp_path, *command, stdin="printer jammed\n", **env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert "secret" not in result.stderr


def test_console_shows_words_not_slack_markup(tmp_path: Path) -> None:
    """The core hands the console user ids and structure; catalogue texts written for Slack lose their
    *emphasis* on the way to a terminal."""
    script = "my password has expired and I can't log in\nassign T-00001\nhelp\n"
    result = servicebot(tmp_path, "console", "--user", "U0AGENT01", stdin=script)
    assert result.returncode == 0, result.stderr
    logged, assigned, help_ = result.stdout.strip().split("\n\n")
    assert "self-service password portal" in logged
    assert assigned.startswith("T-00001 is assigned to U0AGENT01.")
    assert "assign T-00042 [@someone]" in help_
    for markup in ("*", "`", "<@", '_"'):
        assert markup not in result.stdout, markup


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", "line was empty"),
        (":smile: :tada:", "just describe the problem"),
        ("resolve T-00099", "no ticket T-00099"),
        ("resolve T-banana", "'T-banana' is not a ticket id"),
        ("status nowhere", "Unknown desk 'nowhere'"),
        ("intent T-00001", "Say which intent"),
        ("x" * 50_000, "Logged T-0000"),
    ],
    ids=["empty", "emoji", "unknown-ticket", "bad-ref", "bad-desk", "missing-arg", "huge"],
)
def test_console_answers_bad_input_clearly(tmp_path: Path, line: str, expected: str) -> None:
    result = servicebot(tmp_path, "console", stdin=f"printer jammed\n{line}\n")
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_tickets_list_and_show_as_json(tmp_path: Path) -> None:
    servicebot(tmp_path, "console", stdin="vpn keeps dropping\nthe wifi in county hall is down\n")
    listed = servicebot(tmp_path, "tickets", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    tickets = json.loads(listed.stdout)
    assert [t["id"] for t in tickets] == ["T-00002", "T-00001"]
    shown = servicebot(tmp_path, "tickets", "show", "t-1", "--format", "json")
    data = json.loads(shown.stdout)
    assert data["id"] == "T-00001" and data["history"][0]["kind"] == "created"
    assert data["created_at"].endswith("+00:00"), "stored and exported in UTC"


def test_cli_names_what_was_wrong(tmp_path: Path) -> None:
    assert servicebot(tmp_path, "db", "upgrade").returncode == 0
    missing = servicebot(tmp_path, "tickets", "show", "T-00077")
    assert missing.returncode == 1 and "no ticket T-00077" in missing.stderr
    bad_status = servicebot(tmp_path, "tickets", "list", "--status", "lost")
    assert bad_status.returncode == 2 and "--status" in bad_status.stderr
    bad_limit = servicebot(tmp_path, "tickets", "list", "--limit", "0")
    assert bad_limit.returncode == 2 and "--limit" in bad_limit.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("desks: {ict: {title: x, default_queue: a, second_line_queue: a, queues: []}}\n")
    bad_config = servicebot(tmp_path, "tickets", "list", SERVICEBOT_CONFIG=str(broken))
    assert bad_config.returncode == 2 and "desks.ict" in bad_config.stderr


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    shown = safe_url(database_url(tmp_path, "console"))
    assert f"database {shown}: upgraded from empty to {migrate.head_revision()}" in result.stdout


def test_run_without_slack_tokens_says_it_is_using_the_console(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "run", stdin="printer out of toner\n")
    assert result.returncode == 0, result.stderr
    assert "console mode" in result.stderr
    assert "Logged T-00001" in result.stdout
