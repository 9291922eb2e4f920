"""The training pipelines whose masks the golden files lock, one column each.

A pipeline is a name (the column), what it is, and ``build(tokenizer) -> masker`` (``masker(messages, tools)``
returns ``input_ids`` with ``labels`` or a mask, see ``harness.masking.output``). ``build`` raises
``PipelineUnavailable`` with the reason when the pipeline cannot handle the template, and the golden file says
``n/a: reason`` in place of the column. Adding a pipeline is adding one entry to ``PIPELINES``.

trl's GRPO tool loop has no column: what it trains is the tokens a model *samples* (its loss mask is built from
the rollout), so a fixed conversation needs a model that samples exactly that conversation, and trl parses tool
calls only for templates with a response schema. Its masks are checked against the sampled tokens instead
(``harness.adapters.trl.grpo_rollout_batch`` with ``harness.assert_rollout_masks``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class PipelineUnavailable(Exception):
    """The pipeline cannot train with this template; the message says why."""


@dataclass(frozen=True)
class Pipeline:
    name: str  # the column header (short)
    description: str
    build: Callable  # build(tokenizer) -> masker, with masker.template (the text it renders) and .template_label


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def transformers_assistant_mask(tokenizer):
    """transformers' ``return_assistant_tokens_mask`` with the template trl trains this tokenizer with."""
    from harness.adapters.transformers import assistant_tokens_mask_masker
    from harness.adapters.trl import training_chat_template

    try:
        template, label = training_chat_template(tokenizer)
    except ValueError as error:
        raise PipelineUnavailable(f"trl has no training template for it: {_first_line(error)}") from error
    if "generation" not in template:
        raise PipelineUnavailable("the template has no {% generation %} markers")
    masker = assistant_tokens_mask_masker(tokenizer, chat_template=template)
    masker.template, masker.template_label = template, label
    return masker


def trl_sft_collator(tokenizer):
    """trl ``SFTTrainer(assistant_only_loss=True)``: its dataset preparation and data collator."""
    from harness.adapters.trl import sft_trainer_masker

    try:
        masker = sft_trainer_masker(tokenizer)
    except ValueError as error:
        raise PipelineUnavailable(f"trl refuses the template: {_first_line(error.__cause__ or error)}") from error
    masker.template = masker.chat_template_used
    masker.template_label = (
        f"{masker.chat_template_name or 'a patched template'} (trl)" if masker.training_template_swapped
        else "the tokenizer's own"
    )
    return masker


PIPELINES: list[Pipeline] = [
    Pipeline("tf-mask", "transformers apply_chat_template(return_assistant_tokens_mask=True)", transformers_assistant_mask),
    Pipeline("sft", "trl SFTTrainer(assistant_only_loss=True) dataset preparation + data collator", trl_sft_collator),
]
