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
    # SFT warm-up
    sft_steps: int = 50
    sft_batch_size: int = 16
    sft_learning_rate: float = 1e-3
    # GRPO
    grpo_steps: int = 40
    prompts_per_step: int = 4
    num_generations: int = 8
    grpo_learning_rate: float = 1e-3
    # learning-signal statistics
    seeds: tuple[int, ...] = (0, 1, 2)
    window: int = 8  # k: the first/last k steps compared
    margin: float = 0.2  # required rise of mean reward (last k minus first k)
    eval_prompts: int = 64

    def with_(self, **changes) -> LearningSize:
        return replace(self, **changes)


CPU = LearningSize(name="cpu")
GPU = LearningSize(
    name="gpu",
    hidden_size=128,
    layers=4,
    heads=8,
    sft_steps=100,
    grpo_steps=120,
    prompts_per_step=8,
    num_generations=16,
    seeds=(0, 1, 2, 3, 4),
    window=20,
    eval_prompts=256,
)
SIZES = {"cpu": CPU, "gpu": GPU}


def get_size(size: str | LearningSize) -> LearningSize:
    """``"cpu"``/``"gpu"`` or a LearningSize (returned as is)."""
    if isinstance(size, LearningSize):
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)} or pass a LearningSize") from None
