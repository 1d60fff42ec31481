"""`servicebot triage` and `servicebot intents check`, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import copy_database
from tests.support.cli import servicebot

KEYS = {"text", "intent", "queue", "priority", "confidence", "out_of_scope", "alternatives"}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("migrated")
    assert servicebot(folder, "db", "upgrade").returncode == 0
    return folder


@pytest.fixture(autouse=True)
def database(tmp_path: Path, migrated: Path) -> None:
    """Triage reads what the desk has taught it, so it needs a database: a copy of one migrated once."""
    copy_database(migrated, tmp_path, "console")


def test_triage_one_text_as_json(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "triage", "the street light outside my house is out", "--format", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) >= KEYS
    assert answer["intent"] == "street_lighting" and answer["queue"] == "highways"
    assert 0.0 <= answer["confidence"] <= 1.0
    assert len(answer["alternatives"]) <= 3
    assert answer["intent"] not in {a["intent"] for a in answer["alternatives"]}


def test_triage_desk_restricts_the_intents(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "triage", "my account is locked", "--desk", "contact", "--format", "json")
    answer = json.loads(result.stdout)
    assert answer["intent"] is None or not answer["intent"].startswith("account_"), answer


def test_triage_batch_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = (
        b"vpn keeps dropping\n\n:tada:\nbin not collected\n\xff\xfe broken\n" + b"printer " * 20000 + b"\n"
    )
    result = servicebot(tmp_path, "triage", "--batch", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[0]["intent"] == "vpn_remote_access"
    assert "no words" in records[1]["error"] and "no words" in records[2]["error"]
    assert records[3]["intent"] == "bin_collection"
    assert "not valid UTF-8" in records[4]["error"]
    assert "error" not in records[5] and set(records[5]) >= KEYS, "a 160 KB line is classified, not refused"
    assert "3 line(s)" in result.stderr


def test_triage_batch_from_a_file(tmp_path: Path) -> None:
    source = tmp_path / "queries.txt"
    source.write_text("need a blue badge for my mum\nwhen is my green bin collected\n", encoding="utf-8")
    result = servicebot(tmp_path, "triage", "--batch", str(source), "--format", "jsonl")
    assert [json.loads(line)["intent"] for line in result.stdout.splitlines()] == [
        "blue_badge",
        "bin_collection",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give either a text or --batch"),
        (("printer", "--batch", "-"), "give either a text or --batch"),
        (("printer", "--desk", "hr"), "--desk: Unknown desk 'hr'; choose one of: ict, contact"),
        (("--batch", "missing.txt"), "--batch: no such file"),
        (("printer", "--format", "jsonl"), "jsonl is for --batch"),
        (("   ",), "needs some words"),
    ],
)
def test_triage_names_bad_arguments(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = servicebot(tmp_path, "triage", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_intents_check_passes_the_shipped_catalogue(tmp_path: Path) -> None:
    result = servicebot(tmp_path, "intents", "check")
    assert result.returncode == 0, result.stdout
    assert "0 error(s), 0 warning(s)" in result.stdout


def _intent(intent_id: str, examples: list[str], keywords: str = "[a, b, c]") -> str:
    listed = "".join(f"      - {e!r}\n" for e in examples)
    return (
        f"  - id: {intent_id}\n    title: T {intent_id}\n    queue: ict-hardware\n    priority: P3\n"
        f"    owner_group: G\n    keywords: {keywords}\n    examples:\n{listed}"
    )


def test_intents_check_reports_what_to_fix(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    many = [f"printer problem number {n}" for n in range(12)]
    (catalogue / "ict.yaml").write_text(
        "desk: ict\nintents:\n"
        + _intent("printer_jam", many)
        + _intent("toner_low", ["Printer problem number 3", "toner is low"], keywords="[toner]"),
        encoding="utf-8",
    )
    result = servicebot(tmp_path, "intents", "check", "--dir", str(catalogue))
    assert result.returncode == 1
    out = result.stdout
    assert (
        "error: intent toner_low: example 'Printer problem number 3' is also an example of printer_jam" in out
    )
    assert "warning: intent toner_low: only 2 distinct examples" in out
    assert "warning: intent toner_low: only 1 keywords" in out
    assert "1 error(s), 2 warning(s)" in out


def test_intents_check_reports_a_catalogue_that_does_not_load(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    (catalogue / "ict.yaml").write_text(
        "desk: ict\nintents:\n" + _intent("printer_jam", ["x"]).replace("ict-hardware", "nowhere"),
        encoding="utf-8",
    )
    result = servicebot(tmp_path, "intents", "check", "--dir", str(catalogue))
    assert result.returncode == 1
    assert "ict.yaml: intent printer_jam: queue: 'nowhere' is not a queue of desk ict" in result.stdout


def test_import_learned_and_revoke_through_the_command(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text(
        "text,label\n"
        "Trent timesheets will not submit,line_of_business_system\n"
        "Trent says my approver is missing,line_of_business_system\n"
        "my payslip is wrong,payroll\n",
        encoding="utf-8",
    )
    imported = servicebot(tmp_path, "intents", "import", str(history), "--by", "U0LEAD")
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 example(s)" in imported.stdout and "1 skipped" in imported.stdout
    assert "row 4: label 'payroll'" in imported.stderr

    listed = servicebot(tmp_path, "intents", "learned", "--all", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["label"], r["source"], r["by"], r["revoked"]) for r in rows] == [
        ("line_of_business_system", "import", "U0LEAD", None)
    ] * 2
    batch = rows[0]["batch"]
    assert batch.startswith("history.csv @ ")

    revoked = servicebot(
        tmp_path, "intents", "revoke", str(rows[0]["id"]), "--by", "U0LEAD", "--reason", "dup"
    )
    assert revoked.returncode == 0 and "revoked 1 example(s)" in revoked.stdout
    again = servicebot(tmp_path, "intents", "revoke", "--batch", batch)
    assert "revoked 1 example(s)" in again.stdout
    table = servicebot(tmp_path, "intents", "learned", "--all")
    assert table.stdout.count("[revoked by") == 2 and "dup" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("intents", "revoke"), "give example ids or --batch"),
        (("intents", "revoke", "0"), "at least 1"),
        (("intents", "import", "nothing.csv"), "intents import: no such file 'nothing.csv'"),
        (("intents", "eval", "--train", "a.csv", "--test", "b.csv", "--threshold", "0.5"), "only used with"),
        (("intents", "eval", "--train", "a.csv", "--test", "b.csv", "--threshold", "2"), "between 0 and 1"),
    ],
)
def test_intents_commands_name_bad_arguments(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = servicebot(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
