"""Labelled CSV import (bad rows named, valid rows kept) and the evaluation figures, checked by hand."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from servicebot.triage.evaluation import evaluate
from servicebot.triage.labelled import LabelledDataError, parse_labelled_csv, read_labelled_csv, thin_labels
from tests.support.cli import servicebot


def test_valid_rows_are_kept_and_bad_rows_named() -> None:
    content = (
        "text,label\n"
        "printer jammed,printer_problem\n"
        "   ,printer_problem\n"
        "vpn down,\n"
        ":smile:,wifi\n"
        '"wifi, again",wifi,extra\n'
        "locked out,account_locked\n"
    )
    data = parse_labelled_csv(content, name="train.csv")
    assert [(e.text, e.label, e.row) for e in data.examples] == [
        ("printer jammed", "printer_problem", 2),
        ("wifi, again", "wifi", 6),
        ("locked out", "account_locked", 7),
    ]
    assert data.problems == [
        "train.csv: row 3: text has no words",
        "train.csv: row 4: label is blank",
        "train.csv: row 5: text has no words",
        "train.csv: row 6: more fields than the header names",
    ]
    assert thin_labels(data) == ["account_locked", "printer_problem", "wifi"]


def test_header_is_case_insensitive_and_columns_may_be_reordered() -> None:
    data = parse_labelled_csv("Label,Text,source\nwifi,no signal,chat\n")
    assert [(e.text, e.label) for e in data.examples] == [("no signal", "wifi")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("words,intent\nx,y\n", "missing column(s) text, label"),
        ("text\nprinter\n", "missing column(s) label"),
        ("", "missing column(s) text, label"),
        ("text,label\n,\n", "no usable rows (1 problems)"),
    ],
)
def test_unusable_files_are_refused_with_the_reason(content: str, message: str) -> None:
    with pytest.raises(LabelledDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_labelled_csv(content)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_bytes(b"text,label\nprinter,printer_problem\ncaf\xe9 wifi,wifi\n")
    with pytest.raises(LabelledDataError, match=r"history.csv: not UTF-8 \(line 3"):
        read_labelled_csv(path)


def test_evaluation_figures_match_a_hand_count() -> None:
    truth = ["a", "a", "a", "b", "b", "oos", "oos"]
    predicted = ["a", "a", "b", "b", "oos", "oos", "a"]
    report = evaluate(truth, predicted, oos_label="oos")
    assert report.accuracy == pytest.approx(4 / 7)
    scores = {s.label: s for s in report.per_label}
    # a: precision 2/3, recall 2/3; b: precision 1/2, recall 1/2; oos: precision 1/2, recall 1/2
    assert (scores["a"].precision, scores["a"].recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert scores["b"].f1 == pytest.approx(0.5) and scores["oos"].support == 2
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0.5) / 3)
    assert report.oos_recall == pytest.approx(0.5)
    assert report.in_scope_accuracy == pytest.approx(3 / 5)
    assert report.confusions[0] == ("a", "b", 1) and len(report.confusions) == 3


def test_evaluation_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="3 true labels but 2 predictions"):
        evaluate(["a", "b", "c"], ["a", "b"])


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def test_intents_eval_trains_on_train_only_and_reports(tmp_path: Path) -> None:
    train = _write(
        tmp_path / "train.csv",
        [
            ("my printer is jammed", "printer"),
            ("paper stuck in the printer", "printer"),
            ("printer out of toner", "printer"),
            ("forgot my password", "password"),
            ("password expired need reset", "password"),
            ("reset my password please", "password"),
        ],
    )
    test = _write(
        tmp_path / "test.csv",
        [
            ("the printer has jammed again", "printer"),
            ("my password expired", "password"),
            ("zzz qqq", "oos"),
        ],
    )
    predictions = tmp_path / "predictions.csv"
    result = servicebot(
        tmp_path,
        "intents", "eval", "--train", str(train), "--test", str(test),
        "--oos-label", "oos", "--predictions", str(predictions), "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["train"], report["test"]) == (6, 3)
    assert report["accuracy"] == 1.0 and report["oos_recall"] == 1.0 and report["in_scope_accuracy"] == 1.0
    assert {s["label"] for s in report["per_label"]} == {"printer", "password", "oos"}
    with predictions.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["label"], r["predicted"]) for r in rows] == [
        ("printer", "printer"),
        ("password", "password"),
        ("oos", "oos"),
    ]
    assert all(0.0 <= float(r["confidence"]) <= 1.0 for r in rows)


def test_intents_eval_names_a_broken_file(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("utterance,intent\nx,y\n", encoding="utf-8")
    test = _write(tmp_path / "test.csv", [("x", "y")])
    result = servicebot(tmp_path, "intents", "eval", "--train", str(train), "--test", str(test))
    assert result.returncode == 2
    assert "train.csv: missing column(s) text, label" in result.stderr
