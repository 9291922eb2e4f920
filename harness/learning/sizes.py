"""Size presets: one object selects CPU (CI) or GPU sizes, so the same job code runs both."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class LearningSize:
    """Model, warm-up and GRPO sizes for one learning-signal job."""

    name: str
    # tiny model
    hidden_size: int = 64
    layers: int = 2
    heads: int = 8
    # SFT warm-up, phase 1: correct answers, until the model copies (a large batch and lr 1e-2 get the tiny
    # model through the copy plateau in ~60 steps; see jobs.warm_up)
    sft_steps: int = 200  # at most; phase 1 stops once the loss is below sft_stop_below_loss
    sft_batch_size: int = 64
    sft_learning_rate: float = 1e-2
    sft_stop_below_loss: float | None = 0.05  # well below the ~0.23 of a model that has the format but no copy
    # distinct batches in phase 1's dataset, cycled by the trainer (None: a fresh row for every sample). The copy task
    # has 10 distinct conversations, and SFTTrainer tokenizing 200 batches' worth of rows took 2/3 of the warm-up.
    sft_dataset_batches: int | None = None
    # SFT warm-up, phase 2: a few steps on wrong (random) answers at a low rate, so GRPO starts well below
    # perfect accuracy but keeps the format, and has room to show a rise
    noise_steps: int = 10
    noise_learning_rate: float = 1e-3
    noise_wrong_fraction: float = 1.0
    # GRPO
    grpo_steps: int = 40
    prompts_per_step: int = 8
    num_generations: int = 8
    grpo_learning_rate: float = 2e-3
    # learning-signal statistics (harness.learning.statistics.paired_verdict)
    seeds: tuple[int, ...] = (0, 1)  # candidate seeds, warmed up in this order
    min_seeds: int = 2  # seeds whose warm-up must pass its precondition (the others are excluded and named)
    enough_seeds: int | None = None  # stop warming up new seeds once this many passed (None: every candidate)
    window: int = 8  # k: the first/last k steps compared
    margin: float = 0.15  # required paired difference rise(correct) - rise(control) per seed; rise = last k - first k
    eval_prompts: int = 64

    def with_(self, **changes) -> LearningSize:
        return replace(self, **changes)


CPU = LearningSize(name="cpu")
# The GPU preset keeps the CPU model and SFT settings (a 128-wide, 4-layer model with the CPU rates collapsed in
# GRPO on the copy task, every completion running to the length limit) and spends the GPU on statistics: 5 seeds,
# 16 samples per prompt, 60 GRPO steps. With 16 samples the copy model recovers from the wrong-answer phase within
# one GRPO step at lr 2e-3 (rise 0.15, below the margin); 20 wrong-answer steps and lr 1e-3 spread the rise
# (measured on CPU, seed 0: copy 0.24 -> 0.70, random reward 0.18 -> 0.00; tool 0.25 -> 0.80, answer after the
# tool masked 0.07 -> 0.00).
GPU = CPU.with_(
    name="gpu",
    noise_steps=20,
    grpo_steps=60,
    num_generations=16,
    grpo_learning_rate=1e-3,
    seeds=(0, 1, 2, 3, 4),
    window=10,
    eval_prompts=256,
)
SIZES = {"cpu": CPU, "gpu": GPU}

# What a task changes in a named preset. The multi-step ``tool`` task: its copy (tool result -> answer) sits on a
# plateau for ~130 SFT steps whatever the rate; at lr 1e-2 it did not break through in 200 steps on any seed, at
# 3e-3 batch 32 it did on seeds 0-3 within 140-210 steps (~0.1 s a step). A longer phase 2 (20 steps) brings every
# seed back to chance (reward 0.1), and GRPO at lr 1e-3 spreads the recovery over the 40 steps (rise 0.36-0.48
# on seeds 0-3; at 2e-3 most of it happened within the first window).
_TOOL_TASK = {"sft_steps": 400, "sft_batch_size": 32, "sft_learning_rate": 3e-3, "noise_steps": 20,
              "grpo_learning_rate": 1e-3}
# The copy task on CPU. Its warm-up leaves the ~0.23 "format, no copy" plateau after 60 to over 400 steps at lr 1e-2,
# and when depends on the seed and on the CPU's kernels (ATEN_CPU_CAPABILITY=default vs avx512, same seed: 200 steps
# ending at 0.14 vs 0.05 reached at step 115). So the job warms up candidate seeds in order until 3 have learned the
# copy (loss < 0.1: the answer digit's cross-entropy below 1 nat, chance is ln 10 = 2.3), among at most 8.
# GRPO at lr 1e-3: at 2e-3 the correct condition's format collapsed (answer reward 0.0 from step 2 on) on 2 of 7
# eligible seeds (avx2 seed 0, default seed 3), an Adam first-steps instability, not a masking effect.
_COPY_TASK_CPU = {"sft_dataset_batches": 16, "sft_stop_below_loss": 0.1, "seeds": tuple(range(8)), "enough_seeds": 3,
                  "grpo_learning_rate": 1e-3}
TASK_ADJUSTMENTS: dict[tuple[str, str], dict] = {
    ("cpu", "copy"): _COPY_TASK_CPU,
    ("cpu", "tool"): _TOOL_TASK,
    ("gpu", "tool"): _TOOL_TASK,
}


def get_size(size: str | LearningSize, task: str | None = None) -> LearningSize:
    """The preset ``"cpu"``/``"gpu"`` (with ``task``'s adjustments), or a LearningSize (returned as is)."""
    if isinstance(size, LearningSize):
        return size
    try:
        preset = SIZES[size]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)} or pass a LearningSize") from None
    return preset.with_(**TASK_ADJUSTMENTS.get((size, task), {}))
