"""What triage returns, independent of how it is computed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    intent: str
    title: str
    queue: str
    score: float


@dataclass(frozen=True)
class Triage:
    intent: str | None  # None when out of scope
    queue: str
    priority: str
    confidence: float
    candidates: tuple[Candidate, ...] = field(default=())  # best first, the chosen intent included
    out_of_scope: bool = False
    desk: str = "ict"

    @property
    def alternatives(self) -> tuple[Candidate, ...]:
        """The next best intents after the chosen one."""
        return tuple(c for c in self.candidates if c.intent != self.intent)[:3]

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        """What to offer when asking instead of guessing."""
        return self.candidates[:3]
