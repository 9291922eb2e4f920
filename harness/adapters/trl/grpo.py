"""GRPO as the harness configures it: its arguments, and the loss-mask modes (trl's own mask, or one broken on
purpose for the learning-signal controls) with the trainer class that applies them."""

from __future__ import annotations

from harness.adapters.trl.config import common_args

# How the GRPO completion loss mask is built:
#   "correct":         trl's own mask (model tokens trained, tool results masked).
#   "post_tool_masked": broken on purpose: every model token after the first tool result is masked, i.e. the
#                       assistant's final answer after the tool is never trained.
#   "tool_only":        broken on purpose: only tool-result tokens are trained (trl's tool mask inverted).
MASK_MODES = ("correct", "post_tool_masked", "tool_only")


def break_tool_mask(tool_mask, completion_mask, mode: str):
    """The deliberately wrong loss mask for ``mode`` (tool_mask: 1 = model token, 0 = tool result)."""
    import torch

    if mode == "correct":
        return tool_mask
    if mode == "tool_only":
        return (1 - tool_mask) * completion_mask
    if mode == "post_tool_masked":
        is_tool = (tool_mask == 0) & (completion_mask == 1)
        seen_tool = torch.cumsum(is_tool.long(), dim=1) > 0
        return tool_mask * (~seen_tool).long()
    raise ValueError(f"unknown mask mode {mode!r}; choose one of {MASK_MODES}")


def grpo_trainer_class(mask_mode: str):
    """GRPOTrainer, or a subclass that rewrites the loss mask after trl built it (the broken-masking controls;
    the override itself is in ``harness.adapters.trl._private``)."""
    from trl import GRPOTrainer

    from harness.adapters.trl._private import grpo_trainer_rewriting_tool_mask

    if mask_mode == "correct":
        return GRPOTrainer
    if mask_mode not in MASK_MODES:
        raise ValueError(f"unknown mask mode {mask_mode!r}; choose one of {MASK_MODES}")

    def rewrite(tool_mask, completion_mask):
        return break_tool_mask(tool_mask, completion_mask, mask_mode)

    return grpo_trainer_rewriting_tool_mask(rewrite, description=f"mask_mode={mask_mode!r}")


def grpo_args(*, steps, prompts_per_step, num_generations, learning_rate, max_completion_length, seed, output_dir):
    """The GRPOConfig of every GRPO run: no KL term (``beta=0``), temperature 1, at most two tool-calling rounds."""
    from trl import GRPOConfig

    return GRPOConfig(
        max_steps=steps,
        per_device_train_batch_size=prompts_per_step * num_generations,
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        learning_rate=learning_rate,
        beta=0.0,
        temperature=1.0,
        max_tool_calling_iterations=2,
        shuffle_dataset=True,
        **common_args(output_dir, seed),
    )
