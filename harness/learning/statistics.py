"""Learning-signal statistics: rises of reward curves, and the paired verdict (treated vs control on the same warm-up,
per seed, over the seeds whose warm-up passed its precondition)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from harness.learning.precondition import PRECONDITION, WarmUpCheck
from harness.reports import JobResult


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
class SignalSummary(JobResult):
    """Rises of one condition across seeds (a measurement: ``passed`` is None; the verdict is ``paired_verdict``'s)."""

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

    def summary(self) -> dict:
        return {**asdict(self), "mean_delta": self.mean_delta, "std_delta": self.std_delta, "min_delta": self.min_delta}


def summarize(condition: str, curves: Sequence[Sequence[float]], window: int) -> SignalSummary:
    rises = [rise(curve, window) for curve in curves]
    return SignalSummary(
        condition=condition,
        deltas=tuple(r.delta for r in rises),
        firsts=tuple(r.first for r in rises),
        lasts=tuple(r.last for r in rises),
    )


def sign_test_p(wins: int, n: int) -> float:
    """One-sided sign test: P(at least ``wins`` of ``n`` fair coin flips come up heads)."""
    return sum(math.comb(n, k) for k in range(wins, n + 1)) / 2**n


def required_wins(eligible: int, min_seeds: int) -> int:
    """Seeds whose paired difference must exceed the margin: all of them up to ``min_seeds``, then all but one (one
    unlucky GRPO trajectory among several eligible seeds does not fail the job; two do)."""
    return eligible if eligible <= min_seeds else eligible - 1


def paired_verdict(
    treated: str,
    curves: Mapping[str, Mapping[int, Sequence[float]]],
    checks: Sequence[WarmUpCheck],
    *,
    window: int,
    margin: float,
    min_seeds: int,
) -> dict:
    """The assertion, as data, in two named stages.

    1. Precondition (``harness.learning.precondition``): at least ``min_seeds`` seeds whose warm-up learned the task;
       the others are excluded and named. Failing here says the warm-up failed, not GRPO.
    2. Paired comparison, per control, on the same warm-up per eligible seed: the difference
       ``rise(treated) - rise(control)`` (rise: mean of the last ``window`` steps minus the first ``window``) must
       exceed ``margin`` on at least ``required_wins`` seeds; and the control's own mean rise must stay below
       ``margin`` (a control that learns by itself means the reward or the mask leaks). The one-sided sign-test
       p-value of the wins is reported beside it.
    """
    eligible = [c.seed for c in checks if c.passed]
    excluded = {str(c.seed): c.message for c in checks if not c.passed}
    precondition = {
        "name": PRECONDITION,
        "seeds": [c.seed for c in checks],
        "eligible_seeds": eligible,
        "excluded": excluded,
        "min_seeds": min_seeds,
        "passed": len(eligible) >= min_seeds,
    }
    verdict = {"treated": treated, "window": window, "margin": margin, "precondition": precondition, "paired": {}}
    if not precondition["passed"]:
        verdict["passed"] = False
        verdict["failure"] = (
            f"precondition {PRECONDITION} failed: {len(eligible)} of {len(checks)} seeds learned the task in the "
            f"warm-up, {min_seeds} needed; " + "; ".join(c.message for c in checks if not c.passed)
        )
        return verdict
    need = required_wins(len(eligible), min_seeds)
    failures = []
    for control in (c for c in curves if c != treated):
        differences = {s: rise(curves[treated][s], window).delta - rise(curves[control][s], window).delta for s in eligible}
        control_rises = [rise(curves[control][s], window).delta for s in eligible]
        wins = sum(d > margin for d in differences.values())
        control_mean_rise = sum(control_rises) / len(control_rises)
        result = {
            "differences": {str(s): d for s, d in differences.items()},
            "wins": wins,
            "required_wins": need,
            "sign_test_p": sign_test_p(wins, len(eligible)),
            "control_mean_rise": control_mean_rise,
            "control_flat": control_mean_rise < margin,
            "passed": wins >= need and control_mean_rise < margin,
        }
        verdict["paired"][control] = result
        if not result["passed"]:
            failures.append(
                f"{treated} vs {control}: rise difference > {margin} on {wins} of {len(eligible)} eligible seeds "
                f"({need} needed; differences {', '.join(f'seed {s}: {d:+.3f}' for s, d in differences.items())}); "
                f"{control}'s own mean rise {control_mean_rise:+.3f} (must be < {margin})"
            )
    verdict["passed"] = not failures
    verdict["failure"] = "; ".join(failures) or None
    return verdict
