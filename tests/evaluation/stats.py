"""Binomial helpers so planted-signal assertions have a stated false-failure rate."""

from __future__ import annotations

import math


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def binomial_two_sided_interval(n: int, p: float, alpha: float = 1e-4) -> tuple[float, float]:
    """The central (1 - alpha) range of X/n for X ~ Binomial(n, p), from the exact distribution."""
    cdf, lo, hi = 0.0, None, n
    for i in range(n + 1):
        cdf += math.comb(n, i) * p**i * (1 - p) ** (n - i)
        if lo is None and cdf > alpha / 2:
            lo = i
        if cdf >= 1 - alpha / 2:
            hi = i
            break
    return lo / n, hi / n
