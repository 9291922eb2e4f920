"""Training runs through trl's trainers, used by ``harness.learning``: an SFT warm-up and a GRPO run.

* ``run_sft``: a short SFTTrainer run (assistant-only loss by default) on a conversational dataset;
* ``run_grpo``: a GRPOTrainer run (optionally with tools, through trl's own tool loop), with a ``mask_mode`` that
  deliberately breaks the completion mask for the learning-signal controls (``harness.adapters.trl.grpo``).

Both train the model in place, hand it back released (``release``) and return trl's per-step log history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.adapters.trl.config import common_args, quiet, release
from harness.adapters.trl.grpo import grpo_args, grpo_trainer_class


def run_sft(
    model,
    tokenizer,
    rows: Sequence[dict],
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    output_dir: str,
    stop_below_loss: float | None = None,
    callbacks: Sequence[Any] = (),
    assistant_only_loss: bool = True,
) -> list[dict]:
    """Train ``model`` in place with SFTTrainer(assistant_only_loss=True) on conversational ``rows``
    (``{"messages", "tools"}``); returns trl's log history (one entry per step). With ``stop_below_loss``
    training stops early at the first logged step whose loss is below it. ``callbacks`` are added to the trainer's;
    ``assistant_only_loss=False`` trains every token (the classic broken mask, for audits)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from harness.adapters.transformers import trainer_callback_base

    class StopBelowLoss(trainer_callback_base()):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if stop_below_loss is not None and logs and logs.get("loss", float("inf")) < stop_below_loss:
                control.should_training_stop = True

    quiet()
    args = SFTConfig(
        assistant_only_loss=assistant_only_loss,
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        max_length=None,
        dataset_num_proc=None,
        **common_args(output_dir, seed),
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(list(rows)),
        processing_class=tokenizer,
        callbacks=[StopBelowLoss(), *callbacks],
    )
    trainer.train()
    release(model)
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def run_grpo(
    model,
    tokenizer,
    rows: Sequence[dict],
    reward_funcs: Sequence[Callable],
    *,
    reward_weights: Sequence[float] | None = None,
    tools: Sequence[Callable] | None = None,
    mask_mode: str = "correct",
    steps: int,
    prompts_per_step: int,
    num_generations: int,
    learning_rate: float,
    max_completion_length: int,
    seed: int,
    output_dir: str,
    callbacks: Sequence[Any] = (),
) -> list[dict]:
    """Train ``model`` in place with trl's GRPOTrainer on ``rows`` (``{"prompt": messages, ...}``); with ``tools``
    the rollouts go through trl's own tool-calling loop. ``callbacks`` are added to the trainer's. Returns trl's
    per-step log history."""
    from datasets import Dataset

    quiet()
    args = grpo_args(
        steps=steps,
        prompts_per_step=prompts_per_step,
        num_generations=num_generations,
        learning_rate=learning_rate,
        max_completion_length=max_completion_length,
        seed=seed,
        output_dir=output_dir,
    )
    if reward_weights is not None:
        args.reward_weights = list(reward_weights)
    trainer_cls = grpo_trainer_class(mask_mode)
    trainer = trainer_cls(
        model=model,
        reward_funcs=list(reward_funcs),
        args=args,
        train_dataset=Dataset.from_list(list(rows)),
        processing_class=tokenizer,
        tools=list(tools) if tools else None,
        callbacks=list(callbacks) or None,
    )
    trainer.train()
    release(model)
    return [entry for entry in trainer.state.log_history if "loss" in entry]
