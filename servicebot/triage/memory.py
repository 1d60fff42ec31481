"""What agents have said outright: a corrected text, or a near repeat of it, takes the agent's label.

A classifier retrained with one more example may still outvote it with the hundreds it already has; a
desk that corrected "the Trent login spins forever" expects the next identical message to go where they
said. Exact repeats are a dictionary lookup; near repeats (a different floor, a typo, a greeting) are found
with rapidfuzz, which is where fuzzy matching beats any learned model: few characters differ, the meaning
does not.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from servicebot.triage.features import prepare

NEAR_REPEAT = 90.0  # rapidfuzz ratio (0–100) at which two messages are the same message
MIN_FUZZY_LENGTH = 12  # below this a couple of characters change the meaning ("pc slow" / "pc show")


class CorrectionMemory:
    def __init__(self, corrections: Iterable[tuple[str, str]] = ()) -> None:
        """`corrections`: (text, label), oldest first; for a text corrected twice, the latest counts."""
        latest: dict[str, str] = {}
        for text, label in corrections:
            key = prepare(text)
            if key:
                latest.pop(key, None)  # re-insert so dictionary order stays "oldest first"
                latest[key] = label
        self._exact = latest
        self._texts = [t for t in latest if len(t) >= MIN_FUZZY_LENGTH]
        self._labels = [latest[t] for t in self._texts]

    def __len__(self) -> int:
        return len(self._exact)

    def recall(self, text: str, allowed: set[str] | None = None) -> tuple[str, float] | None:
        """(label, similarity 0–1) of the closest remembered correction, or None if none is close."""
        key = prepare(text)
        label = self._exact.get(key)
        if label is not None and (allowed is None or label in allowed):
            return label, 1.0
        if len(key) < MIN_FUZZY_LENGTH or not self._texts:
            return None
        for _, score, position in process.extract(
            key, self._texts, scorer=fuzz.ratio, score_cutoff=NEAR_REPEAT, limit=5
        ):
            label = self._labels[position]
            if allowed is None or label in allowed:
                return label, float(score) / 100.0
        return None
