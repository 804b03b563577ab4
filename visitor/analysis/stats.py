"""Tests made for small event counts: one-sided Poisson and binomial tails and a one-sided Poisson CUSUM.

The rules judge counts by the **mid-p** of a tail (Lancaster): the chance of more events than observed
plus half the chance of exactly as many. With counts of a few events the exact tail P(X >= k) moves in
big steps, so a test at 0.003 really fires far less often than that: at 0.1 events expected the first
count below 0.003 is 3 (P = 0.00015, twenty times stricter than declared); small homes, whose counts are
smallest, lose the most. The mid-p is the deterministic stand-in for the test that fires exactly at its
declared level (the randomised test). At 0.003, averaged over expected counts, the exact tail's real
false-alarm probability is a quarter to a half of 0.003 when fewer than 3 events are expected and the mid-p's
0.4 to 0.9 of it; it is never above twice the declared level (the exact tail is at most twice the mid-p),
and the two agree as counts grow.

Pure ``math``: SciPy would cost more to import than these few lines cost to run. Every threshold is
a false-alarm probability, never a raw count.
"""

from __future__ import annotations

import math


def _poisson_tail(k: int, expected: float) -> tuple[float, float]:
    """(P(X >= k), P(X = k)) for X ~ Poisson(expected), k >= 1 and expected > 0."""
    if k <= expected:  # the lower tail is short: 1 - P(X < k)
        term = math.exp(-expected)
        below = 0.0
        for j in range(k):
            below += term
            term *= expected / (j + 1)
        return max(0.0, min(1.0, 1.0 - below)), term  # term is now P(X = k)
    first = math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1))
    total, term, j = 0.0, first, k
    while term > total * 1e-15:
        total += term
        j += 1
        term *= expected / j
    return min(1.0, total), first


def poisson_sf(observed: float, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): the chance of at least this many events by chance."""
    k = int(observed)
    if k <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    return _poisson_tail(k, expected)[0]


def poisson_mid_p(observed: float, expected: float) -> float:
    """P(X > observed) + P(X = observed) / 2 for X ~ Poisson(expected): the mid-p the rules test against
    their false-alarm probabilities (see the module's docstring)."""
    return poisson_tails(observed, expected)[0]


def poisson_tails(observed: float, expected: float) -> tuple[float, float]:
    """(mid-p, P(X >= observed)) for X ~ Poisson(expected), from one sum: the rules decide by the first
    and state the second in evidence."""
    k = int(observed)
    if k <= 0:
        return 1.0, 1.0
    if expected <= 0:
        return 0.0, 0.0
    tail, exactly = _poisson_tail(k, expected)
    return max(0.0, tail - exactly / 2), tail


def _binomial_tail(k: int, n: int, share: float) -> tuple[float, float]:
    """(P(X >= k), P(X = k)) for X ~ Binomial(n, share), 1 <= k <= n and 0 < share < 1."""
    odds = share / (1 - share)
    if k > n * share:  # upper tail, terms falling from the first: sum until negligible
        first = math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                         + k * math.log(share) + (n - k) * math.log1p(-share))
        total, term, j = 0.0, first, k
        while j <= n and term > total * 1e-15:
            total += term
            term *= (n - j) / (j + 1) * odds
            j += 1
        return min(1.0, total), first
    term = (1 - share) ** n  # lower tail: 1 - P(X < k)
    below = 0.0
    for j in range(k):
        below += term
        term *= (n - j) / (j + 1) * odds
    return max(0.0, min(1.0, 1.0 - below)), term  # term is now P(X = k)


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
    return _binomial_tail(k, n, share)[0]


def binomial_mid_p(observed: float, trials: float, share: float) -> float:
    """P(X > observed) + P(X = observed) / 2 for X ~ Binomial(trials, share): the mid-p of the test of
    equal rates (see the module's docstring)."""
    return binomial_tails(observed, trials, share)[0]


def binomial_tails(observed: float, trials: float, share: float) -> tuple[float, float]:
    """(mid-p, P(X >= observed)) for X ~ Binomial(trials, share), from one sum."""
    k, n = int(observed), int(trials)
    if k <= 0:
        return 1.0, 1.0
    if k > n or share <= 0:
        return 0.0, 0.0
    if share >= 1:
        return (0.5 if k == n else 1.0), 1.0
    tail, exactly = _binomial_tail(k, n, share)
    return max(0.0, tail - exactly / 2), tail


def poisson_mid_p_not_below(observed: float, expected: float, alpha: float) -> bool:
    """True when ``poisson_mid_p(observed, expected)`` is surely at least ``alpha``, so it need not be summed.

    The mid-p of an upper tail is half its first term plus the rest, all positive: at least half the
    first term plus the second, computed here by the very same expressions (the margin covers their
    rounding). Exact, not approximate; False means "compute it".
    """
    k = int(observed)
    if k <= 0:
        return alpha <= 1.0
    if expected <= 0:
        return False
    if k <= expected:
        # P(X > k) + P(X = k) / 2 is at least half the probability of the mode m >= k; the margin covers
        # the rounding of both sides (a few ulps per term, for fewer than 10,000 terms).
        m = math.floor(expected)
        return k < 10_000 and \
            math.exp(-expected + m * math.log(expected) - math.lgamma(m + 1)) / 2 >= alpha + 1e-9
    first = math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1))
    return first / 2 + first * expected / (k + 1) >= alpha * (1 + 1e-12)


def binomial_mid_p_not_below(observed: float, trials: float, share: float, alpha: float) -> bool:
    """True when ``binomial_mid_p(observed, trials, share)`` is surely at least ``alpha`` (half its upper
    tail's first term plus the second, computed by the same expressions, already is); False means
    "compute it"."""
    k, n = int(observed), int(trials)
    if k <= 0 or k > n or share <= 0 or share >= 1 or not k > n * share:
        return False
    first = math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                     + k * math.log(share) + (n - k) * math.log1p(-share))
    return first / 2 + first * (n - k) / (k + 1) * (share / (1 - share)) >= alpha * (1 + 1e-12)


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
