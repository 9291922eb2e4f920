"""What every trainer the harness builds shares: a quiet, offline environment, the common TrainingArguments, and
handing the model back clean when it is done (``release``)."""

from __future__ import annotations

import os
from typing import Any


def quiet() -> None:
    """Offline, no advisory warnings, no tokenizer threads, no wandb, no datasets progress bars."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("WANDB_DISABLED", "true")
    import datasets

    datasets.disable_progress_bars()


def common_args(output_dir: str, seed: int) -> dict[str, Any]:
    """TrainingArguments shared by every trainer the harness builds: no saving, no reporting, CPU unless CUDA."""
    import torch

    return {
        "output_dir": output_dir,
        "seed": seed,
        "data_seed": seed,
        "report_to": [],
        "save_strategy": "no",
        "logging_steps": 1,
        "disable_tqdm": True,
        "use_cpu": not torch.cuda.is_available(),
        "dataloader_num_workers": 0,
        # beta2 0.95 (not 0.999): the large early gradients of the format tokens otherwise inflate Adam's second
        # moment for hundreds of steps, and the small copy (answer-digit) gradients that follow barely move the model.
        "adam_beta2": 0.95,
        # trl turns gradient checkpointing on by default; tiny models do not need it, it slows CPU runs, and a
        # model passed through two trainers (warm-up phases, then GRPO) must come out of each one unchanged.
        "gradient_checkpointing": False,
        # Constant learning rate, no warm-up, gradient clipping at 1.0: short runs whose curves compare conditions.
        "lr_scheduler_type": "constant",
        "warmup_steps": 0,
        "max_grad_norm": 1.0,
    }


def release(model) -> None:
    """Undo what a finished trainer left on ``model``: accelerate replaces ``model.forward`` with an instance
    attribute (a wrapper closing over the *original* bound forward). A ``copy.deepcopy`` of such a model keeps
    calling the original's weights, so the copy's generations and losses silently ignore its own parameters."""
    from harness.adapters.trl._private import release_accelerate_forward

    release_accelerate_forward(model)
