"""Learning-signal statistics: did reward rise, across seeds, by more than a margin, and is a control below it?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Rise:
    """Per-seed rise of a reward curve: mean of the last ``window`` steps minus mean of the first ``window``."""

    first: float
    last: float

    @property
    def delta(self) -> float:
        return self.last - self.first


def rise(curve: Sequence[float], window: int) -> Rise:
    if len(curve) < 2 * window:
        raise ValueError(f"curve of {len(curve)} steps is too short for two windows of {window}")
    return Rise(first=sum(curve[:window]) / window, last=sum(curve[-window:]) / window)


@dataclass(frozen=True)
class SignalSummary:
    """Rises of one condition across seeds."""

    condition: str
    deltas: tuple[float, ...]
    firsts: tuple[float, ...]
    lasts: tuple[float, ...]

    @property
    def mean_delta(self) -> float:
        return sum(self.deltas) / len(self.deltas)

    @property
    def std_delta(self) -> float:
        if len(self.deltas) < 2:
            return 0.0
        m = self.mean_delta
        return math.sqrt(sum((d - m) ** 2 for d in self.deltas) / (len(self.deltas) - 1))

    @property
    def min_delta(self) -> float:
        return min(self.deltas)

    def to_dict(self) -> dict:
        return {**asdict(self), "mean_delta": self.mean_delta, "std_delta": self.std_delta, "min_delta": self.min_delta}


def summarize(condition: str, curves: Sequence[Sequence[float]], window: int) -> SignalSummary:
    rises = [rise(curve, window) for curve in curves]
    return SignalSummary(
        condition=condition,
        deltas=tuple(r.delta for r in rises),
        firsts=tuple(r.first for r in rises),
        lasts=tuple(r.last for r in rises),
    )


def learning_signal_verdict(treated: SignalSummary, controls: Sequence[SignalSummary], margin: float) -> dict:
    """The assertion, as data: every seed of ``treated`` rises by more than ``margin``, and every control's mean
    rise stays below ``margin`` and below the treated minimum (so the conditions are distinguishable)."""
    treated_ok = treated.min_delta > margin
    control_ok = {c.condition: (c.mean_delta < margin and c.mean_delta < treated.min_delta) for c in controls}
    return {
        "margin": margin,
        "treated": treated.condition,
        "treated_rises_every_seed": treated_ok,
        "controls_below_margin": control_ok,
        "passed": treated_ok and all(control_ok.values()),
    }
