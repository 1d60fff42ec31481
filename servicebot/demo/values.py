"""Demo figures for the KPIs measured outside ServiceBot (the default definitions' `manual` sources): caller
ratings of the advisors (CS01), the quality scorecard (CS06, one month under target) and complaints
answered in time (CS07, quarterly, filed under each quarter's last month). Each with its counts, so the
year to date is a ratio of sums as the council computes it."""

from __future__ import annotations

import random
from collections.abc import Iterator

from servicebot.domain.periods import Period, span
from servicebot.storage.kpis import KpiValue


def _rate(ref: str, period: Period, share: float, asked: int) -> KpiValue:
    yes = round(asked * share)
    return KpiValue(ref, period, 100.0 * yes / asked, None, float(yes), float(asked))


def values(first: Period, last: Period, seed: int, refs: set[str]) -> Iterator[KpiValue]:
    """Complete months only: `last` is the last month that has ended."""
    for period in span(first, last):
        rng = random.Random(f"{seed}:values:{period}")
        if "CS01" in refs:
            yield _rate("CS01", period, rng.uniform(0.96, 0.99), rng.randint(380, 520))
        if "CS06" in refs:
            # The month after the storm: new advisors on the phones, the scorecard dips under target.
            share = rng.uniform(0.66, 0.69) if period == last.shift(-2) else rng.uniform(0.71, 0.78)
            yield _rate("CS06", period, share, rng.randint(150, 220))
        if "CS07" in refs and period.is_quarter_end:
            yield _rate("CS07", period, rng.uniform(0.82, 0.93), rng.randint(90, 140))
