"""How well a classifier did on labelled data: the figures a data scientist would report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class LabelScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    accuracy: float
    macro_f1: float
    per_label: list[LabelScores]
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), most frequent first
    total: int
    oos_recall: float | None = None  # share of out-of-scope rows predicted out of scope
    in_scope_accuracy: float | None = None  # accuracy over the in-scope rows only


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def evaluate(truth: list[str], predicted: list[str], *, oos_label: str | None = None) -> Report:
    """Macro-F1 averages over the labels present in `truth` (as scikit-learn does with labels=truth)."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    if not truth:
        raise ValueError("nothing to evaluate")
    pairs = list(zip(truth, predicted, strict=True))
    correct = sum(t == p for t, p in pairs)
    true_counts = Counter(truth)
    predicted_counts = Counter(predicted)
    hits = Counter(t for t, p in pairs if t == p)
    per_label = []
    for label in sorted(true_counts):
        precision = hits[label] / predicted_counts[label] if predicted_counts[label] else 0.0
        recall = hits[label] / true_counts[label]
        per_label.append(LabelScores(label, precision, recall, _f1(precision, recall), true_counts[label]))
    confusions = Counter((t, p) for t, p in pairs if t != p)
    report = Report(
        accuracy=correct / len(pairs),
        macro_f1=sum(s.f1 for s in per_label) / len(per_label),
        per_label=per_label,
        confusions=[(t, p, n) for (t, p), n in sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0]))],
        total=len(pairs),
    )
    if oos_label is None:
        return report
    oos = [p for t, p in pairs if t == oos_label]
    in_scope = [(t, p) for t, p in pairs if t != oos_label]
    return replace(
        report,
        oos_recall=sum(p == oos_label for p in oos) / len(oos) if oos else None,
        in_scope_accuracy=sum(t == p for t, p in in_scope) / len(in_scope) if in_scope else None,
    )
