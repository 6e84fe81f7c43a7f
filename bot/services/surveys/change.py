"""A change between two rounds: the difference of two proportions, in percentage points, with
its 95 % interval by Newcomb's hybrid score method (good at the small samples and the shares
near 0 or 100 % a town survey has, where the textbook Wald interval is not)."""

from __future__ import annotations

CONFIDENCE = 0.95


def difference(
    now: int, now_total: int, before: int, before_total: int
) -> tuple[float, float, float]:
    """(now − before, low, high) in percentage points."""
    # statsmodels pulls in pandas and scipy: loaded on first use, in a worker thread.
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(
        now, now_total, before, before_total, method="newcomb", compare="diff", alpha=1 - CONFIDENCE
    )
    return 100 * (now / now_total - before / before_total), 100 * float(low), 100 * float(high)
