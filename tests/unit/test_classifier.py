"""The learned classifier: features, lean inference against scikit-learn's own, calibration, the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from servicebot.triage import classifier as clf
from servicebot.triage import model_store
from servicebot.triage.features import ANALYZERS, char_terms, prepare, word_terms

PRINTER = ["my printer is jammed", "paper stuck in the printer", "printer out of toner", "printer offline"]
PASSWORD = ["forgot my password", "password expired need reset", "reset my password please", "pw expired"]
VPN = ["vpn keeps dropping", "cannot connect to the vpn from home", "vpn login fails", "remote access down"]
TEXTS = PRINTER + PASSWORD + VPN
LABELS = ["printer"] * 4 + ["password"] * 4 + ["vpn"] * 4


def test_word_and_character_features() -> None:
    assert word_terms("printer is jammed") == ["printer", "is", "jammed", "printer is", "is jammed"]
    assert char_terms("pc") == [" p", "pc", "c ", " pc", "pc ", " pc "]
    assert prepare("<@U123> Printer JAMMED!! <https://x.org/a|see here> :sob:") == "printer jammed see here"


def test_lean_inference_equals_scikit_learns_decision_function() -> None:
    prepared = [prepare(t) for t in TEXTS]
    terms = [[analyzer(p) for p in prepared] for analyzer in ANALYZERS]
    y = np.asarray(LABELS, dtype=object)
    fitted = clf._fit(terms, y, np.arange(len(TEXTS)))
    lean = clf._lean(fitted, clf.Calibration(1.0, 0.0), len(TEXTS), 1.0)
    queries = ["the printer has jammed again", "vpn dropping", "zzz", "password printer vpn"]
    q_terms = [[analyzer(prepare(q)) for q in queries] for analyzer in ANALYZERS]
    expected = fitted.decision(q_terms, np.arange(len(queries)))
    actual = np.stack([lean.scores(q) for q in queries])
    assert list(lean.labels) == [str(c) for c in fitted.svm.classes_]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def test_training_is_deterministic_and_ranks_best_first() -> None:
    first = clf.fit(TEXTS, LABELS, threads=1)
    second = clf.fit(TEXTS, LABELS, threads=3)
    np.testing.assert_array_equal(first.weights, second.weights)
    assert first.calibration == second.calibration
    ranked = first.rank("paper jam in the printer on floor 2")
    assert ranked[0].label == "printer"
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert all(0.0 <= r.probability <= 1.0 for r in ranked)


def test_calibration_is_increasing_and_gibberish_is_not_confident() -> None:
    model = model_store.train(TEXTS, LABELS)
    assert model.calibration.slope > 0
    assert model.rank("printer jammed")[0].probability > 0.8
    for nonsense in ("zzz qqq", "привет мир", "🙂", "", "x" * 100_000):
        assert model.rank(nonsense)[0].probability < 0.55, nonsense


def test_a_mask_restricts_the_labels() -> None:
    model = model_store.train(TEXTS, LABELS)
    ranked = model.rank("printer jammed", model.mask({"vpn", "password"}))
    assert {r.label for r in ranked} == {"vpn", "password"}


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a printer"], ["printer"], "at least two labels"),
        (["a printer", "vpn"], ["printer", "printer"], "at least two labels"),
        (["a printer", "vpn"], ["printer"], "2 texts but 1 labels"),
        (["🙂", ":tada:"], ["a", "b"], "at least two labels"),
    ],
)
def test_unusable_training_data_is_refused_with_the_reason(
    texts: list[str], labels: list[str], message: str
) -> None:
    with pytest.raises(clf.TrainingError, match=message):
        model_store.train(texts, labels)


def test_a_label_with_one_example_still_trains() -> None:
    model = model_store.train([*TEXTS, "the scanner will not scan"], [*LABELS, "scanner"])
    assert "scanner" in model.labels


def test_the_cache_round_trips_exactly_and_ignores_a_broken_file(tmp_path: Path) -> None:
    model = clf.fit(TEXTS, LABELS, threads=None)
    path = model_store.path_for(tmp_path, clf.training_key(TEXTS, LABELS))
    model_store.save(model, path)
    loaded = model_store.load(path)
    assert loaded is not None
    assert loaded.labels == model.labels and loaded.calibration == model.calibration
    for query in ("printer jammed", "vpn", "nothing at all"):
        np.testing.assert_array_equal(loaded.scores(query), model.scores(query))
    path.write_bytes(b"not a zip file")
    assert model_store.load(path) is None
    assert model_store.load(tmp_path / "absent.npz") is None


def test_the_training_key_changes_with_any_example() -> None:
    key = clf.training_key(TEXTS, LABELS)
    assert clf.training_key(TEXTS, LABELS) == key
    assert clf.training_key([*TEXTS[:-1], "remote access down!"], LABELS) != key
    assert clf.training_key(TEXTS, [*LABELS[:-1], "printer"]) != key
