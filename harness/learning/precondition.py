"""The warm-up's own outcome, checked as a named precondition of the GRPO verdict (never folded into it).

GRPO's learning signal is measured from a warmed-up model: phase 1 of the SFT warm-up must have learned the task
(for the copy tasks: the copy, not only the format), or GRPO starts from a model with nothing to recover and its
curve says nothing about masking. Whether a tiny model breaks through the "format, no copy" plateau (SFT loss ~0.23)
within the step budget depends on the seed and, through the chaotic trajectory, on the machine's floating-point
kernels; so a seed whose warm-up failed is excluded from the verdict and reported by name, and the job fails on the
precondition itself, not on GRPO, when too few seeds are left (``harness.learning.statistics.paired_verdict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from harness.reports import JobResult

PRECONDITION = "warm_up_learned_the_task"


@dataclass(frozen=True)
class WarmUpCheck(JobResult):
    """Phase 1 of one seed's warm-up: its last logged SFT loss against ``threshold`` (the early-stop loss)."""

    seed: int
    task: str
    loss: float
    steps: int
    threshold: float

    @property
    def passed(self) -> bool:
        return self.loss < self.threshold

    @property
    def message(self) -> str:
        if self.passed:
            return f"seed {self.seed}: warm-up learned the {self.task} task: loss {self.loss:.3f} after {self.steps} steps"
        return (
            f"seed {self.seed}: warm-up did not learn the {self.task} task: loss {self.loss:.3f} after {self.steps} "
            f"steps (precondition {PRECONDITION}: loss < {self.threshold})"
        )

    def summary(self) -> dict:
        return {**asdict(self), "passed": self.passed, "message": self.message}


def check_warm_up(seed: int, task: str, phase_one_losses: list[float], threshold: float) -> WarmUpCheck:
    """``phase_one_losses``: SFT loss per step of the warm-up's first phase (correct answers)."""
    if not phase_one_losses:
        raise ValueError(f"seed {seed}: the warm-up logged no loss in phase 1")
    return WarmUpCheck(seed=seed, task=task, loss=float(phase_one_losses[-1]), steps=len(phase_one_losses),
                       threshold=threshold)
