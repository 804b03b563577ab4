"""Tests made for small event counts: an exact one-sided Poisson tail and a one-sided Poisson CUSUM.

Pure ``math``: SciPy would cost more to import than these few lines cost to run. Every threshold is
a false-alarm probability, never a raw count.
"""

from __future__ import annotations

import math


def poisson_sf(observed: float, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): the chance of at least this many events by chance."""
    k = int(observed)
    if k <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    if k <= expected:  # the lower tail is short: 1 - P(X < k)
        term = math.exp(-expected)
        below = 0.0
        for j in range(k):
            below += term
            term *= expected / (j + 1)
        return max(0.0, min(1.0, 1.0 - below))
    term = math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1))
    total, j = 0.0, k
    while term > total * 1e-15:
        total += term
        j += 1
        term *= expected / j
    return min(1.0, total)


def binomial_sf(observed: float, trials: float, share: float) -> float:
    """P(X >= observed) for X ~ Binomial(trials, share): the exact test that the events of a window
    come at the same rate as the events before it, given how many there were in all."""
    k, n = int(observed), int(trials)
    if k <= 0:
        return 1.0
    if k > n or share <= 0:
        return 0.0
    if share >= 1:
        return 1.0
    odds = share / (1 - share)
    if k > n * share:  # upper tail, terms falling from the first: sum until negligible
        term = math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                        + k * math.log(share) + (n - k) * math.log1p(-share))
        total, j = 0.0, k
        while j <= n and term > total * 1e-15:
            total += term
            term *= (n - j) / (j + 1) * odds
            j += 1
        return min(1.0, total)
    term = (1 - share) ** n  # lower tail: 1 - P(X < k)
    below = 0.0
    for j in range(k):
        below += term
        term *= (n - j) / (j + 1) * odds
    return max(0.0, min(1.0, 1.0 - below))


def poisson_sf_not_below(observed: float, expected: float, alpha: float) -> bool:
    """True when ``poisson_sf(observed, expected)`` is surely at least ``alpha``, so it need not be summed.

    The upper tail is a sum of positive terms whose first is computed here by the very same expression,
    so the sum can only be larger: the answer is exact, not approximate. False means "compute it".
    """
    k = int(observed)
    if k <= 0:
        return alpha <= 1.0
    if expected <= 0:
        return False
    if k <= expected:
        # 1 - P(X < k) is at least the probability of the mode m >= k; the margin covers the rounding
        # of both sides (a few ulps per term, for fewer than 10,000 terms).
        m = math.floor(expected)
        return k < 10_000 and math.exp(-expected + m * math.log(expected) - math.lgamma(m + 1)) >= alpha + 1e-9
    return math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1)) >= alpha


def binomial_sf_not_below(observed: float, trials: float, share: float, alpha: float) -> bool:
    """True when ``binomial_sf(observed, trials, share)`` is surely at least ``alpha`` (its upper tail's
    first term, computed by the same expression, already is); False means "compute it"."""
    k, n = int(observed), int(trials)
    if k <= 0 or k > n or share <= 0 or share >= 1 or not k > n * share:
        return False
    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                    + k * math.log(share) + (n - k) * math.log1p(-share)) >= alpha


def cusum_limit(false_alarm: float) -> float:
    """Decision limit h of a likelihood-ratio CUSUM: by Wald's bound a home running at its usual rate
    crosses it at a given visit with probability at most ``false_alarm`` (average run length >= e^h)."""
    return math.log(1 / false_alarm)


def cusum_path(counts: list[float | None], exposures: list[float], prior_rate: float | None,
               prior_weight: float, ratio: float) -> list[float | None]:
    """One-sided self-starting Poisson CUSUM of a home's own series, tuned to detect a ``ratio``-fold rise.

    The in-control rate at each visit is the home's pooled rate over all its earlier visits (from the
    first), shrunk towards ``prior_rate`` with ``prior_weight`` child-months of weight; so the statistic
    at a visit uses only what was known then. Visits without a count or without exposure are skipped
    (their statistic is None).
    """
    path: list[float | None] = []
    s = 0.0
    events = exposure = 0.0
    log_ratio = math.log(ratio)
    for x, e in zip(counts, exposures):
        if x is None or e <= 0:
            path.append(None)
            continue
        base = cusum_base(events, exposure, prior_rate, prior_weight)
        if base is None:
            path.append(None)  # nothing known yet: the first visit only sets the level
        else:
            s = max(0.0, s + x * log_ratio - (ratio - 1) * base * e)
            path.append(s)
        events += x
        exposure += e
    return path


def cusum_base(events: float, exposure: float, prior_rate: float | None, prior_weight: float) -> float | None:
    """The in-control rate a CUSUM step is measured against: the home's pooled rate over its earlier
    visits, shrunk towards ``prior_rate`` (None while nothing is known). Shared with the evidence text,
    so the rate the report names is the one the statistic used."""
    weight = exposure + (prior_weight if prior_rate is not None else 0.0)
    if weight <= 0:
        return None
    base = (events + (prior_rate or 0.0) * (prior_weight if prior_rate is not None else 0.0)) / weight
    return max(base, 0.01)


def chance(p: float) -> str:
    """A false-alarm probability in words: 'less than once in 10,000'."""
    for n in (1_000_000, 100_000, 10_000, 1_000, 100, 20):
        if p < 1 / n:
            return f"less than once in {n:,}"
    return f"about once in {max(1, round(1 / p)):,}" if p > 0 else "never"
