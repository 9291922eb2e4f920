"""One real GRPO rollout batch, without a training step: trl's loss mask next to what the model actually sampled.

``grpo_rollout_batch`` runs trl's own generation (tool loop included) and records, from the model's own
``generate`` calls, which completion tokens were sampled; ``harness.rollouts.masks`` checks the two against each
other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.adapters.trl.config import quiet, release
from harness.adapters.trl.grpo import break_tool_mask, grpo_args, grpo_trainer_class


class _GenerationRecorder:
    """Records every ``model.generate`` call (unpadded input ids, generated ids up to and including the first
    end-of-sequence token) by wrapping the method on the instance for the duration of a ``with`` block."""

    def __init__(self, model, eos_token_ids) -> None:
        self.model, self.eos = model, set(int(i) for i in eos_token_ids)
        self.records: list[tuple[list[int], list[int]]] = []

    def __enter__(self):
        original = self.model.generate

        def generate(*args, **kwargs):
            output = original(*args, **kwargs)
            input_ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
            attention = kwargs.get("attention_mask")
            width = input_ids.shape[1]
            for row in range(input_ids.shape[0]):
                keep = attention[row].bool() if attention is not None else slice(None)
                new = []
                for token in output[row, width:].tolist():
                    new.append(token)
                    if token in self.eos:
                        break
                self.records.append((input_ids[row][keep].tolist(), new))
            return output

        self.model.generate = generate
        return self

    def __exit__(self, *exc) -> None:
        self.model.__dict__.pop("generate", None)


def grpo_rollout_batch(
    model,
    tokenizer,
    rows: Sequence[dict],
    reward_funcs: Sequence[Callable],
    *,
    tools: Sequence[Callable] | None = None,
    mask_mode: str = "correct",
    num_generations: int = 4,
    max_completion_length: int = 48,
    seed: int = 0,
) -> dict:
    """One real GRPO generation batch (trl's ``_generate_and_score_completions``, tool loop included), without a
    training step. Per completion (lists of lists): ``completion_ids``; ``loss_mask`` (completion_mask * tool_mask,
    after ``mask_mode``); ``tool_mask`` (trl's own, before ``mask_mode``; None without tools); ``sampled_mask``
    (1 where the model's own ``generate`` produced the token at that position, recorded independently of trl's
    bookkeeping: see ``harness.rollouts.masks``); plus ``advantages``. Checks: ``harness.rollouts.masks``."""
    import tempfile

    from datasets import Dataset

    from harness.adapters.trl._private import generate_and_score, grpo_eos_token_ids
    from harness.rollouts.masks import index_generations, sampled_mask

    quiet()
    rows = list(rows)
    args = grpo_args(
        steps=1,
        prompts_per_step=len(rows),
        num_generations=num_generations,
        learning_rate=0.0,
        max_completion_length=max_completion_length,
        seed=seed,
        output_dir=tempfile.mkdtemp(prefix="harness-grpo-rollout-"),
    )
    # trl's own trainer builds the batch; the mask_mode rewrite is the same function the broken-mask trainer uses.
    trainer = grpo_trainer_class("correct")(
        model=model,
        reward_funcs=list(reward_funcs),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        tools=list(tools) if tools else None,
    )
    with _GenerationRecorder(model, grpo_eos_token_ids(trainer)) as recorder:
        output = generate_and_score(trainer, [row for row in rows for _ in range(num_generations)])
    release(model)
    trl_tool_mask = output.get("tool_mask")
    if mask_mode != "correct":
        if trl_tool_mask is None:
            raise ValueError(f"mask_mode={mask_mode!r} needs a tool-calling run (tools=...)")
        output["tool_mask"] = break_tool_mask(trl_tool_mask, output["completion_mask"], mask_mode)
    completion_mask = output["completion_mask"]
    loss_mask = completion_mask if output.get("tool_mask") is None else completion_mask * output["tool_mask"]
    lengths = [int(n) for n in completion_mask.sum(1).tolist()]
    completions = [ids[:n].tolist() for ids, n in zip(output["completion_ids"], lengths)]
    prompts = [ids[m.bool()].tolist() for ids, m in zip(output["prompt_ids"], output["prompt_mask"])]
    generations = index_generations(recorder.records)
    return {
        "prompt_ids": prompts,
        "generations": list(recorder.records),
        "completion_ids": completions,
        "loss_mask": [m[:n].tolist() for m, n in zip(loss_mask, lengths)],
        "tool_mask": None if trl_tool_mask is None else [m[:n].tolist() for m, n in zip(trl_tool_mask, lengths)],
        "sampled_mask": [sampled_mask(p, c, generations) for p, c in zip(prompts, completions)],
        "advantages": output["advantages"].tolist(),
    }
