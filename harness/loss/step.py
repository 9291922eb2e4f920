"""The training step the check at the loss runs, and the normalisations a trainer may document.

A **training step** is ``step(model, conversations) -> loss``:

- ``model``: the causal LM the harness built (a tiny Qwen2 on CPU, ``harness.adapters.transformers.tiny_causal_lm``);
  the step calls it as the trainer does (``model(input_ids=..., attention_mask=..., ...)``), once per micro-batch;
- ``conversations``: the optimizer step's examples, a list of ``{"messages": [...], "tools": [...] | None}`` dicts
  in OpenAI/HF format (the step tokenizes and collates them as the trainer does: chat template, padding, packing,
  splitting into micro-batches);
- returns the scalar tensor whose ``backward()`` gives the gradient of **one optimizer step**: for gradient
  accumulation, the sum of the micro-batch losses exactly as the trainer scales each before its ``backward``
  (``loss / gradient_accumulation_steps``, or the loss normalised by ``num_items_in_batch``). The step must not
  call ``backward`` nor step an optimizer itself.

The harness hooks the model's forward calls, so it sees every micro-batch's ``input_ids`` (and ``position_ids``
where given) and the gradient that reached each position; it finds each conversation's rendering in those rows.

A **normalisation** is what the trainer documents each trained token's weight to be:

- ``"token"``: the mean over every trained token of the optimizer step, whatever the split into micro-batches,
  padding or packing (weight ``1/N``, ``N`` trained tokens in the step): transformers' ``Trainer`` with
  ``num_items_in_batch``, trl's SFT loss, GRPO's ``dapo`` / ``bnpo`` over one step;
- ``"sequence"``: the mean of each conversation's token mean (weight ``1/(R * n_r)``, ``R`` conversations, ``n_r``
  trained tokens in conversation ``r``): GRPO's ``loss_type="grpo"``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

NORMALIZATIONS = ("token", "sequence")
Normalization = Literal["token", "sequence"]

TrainingStep = Callable[[Any, Sequence[dict]], Any]


def expected_weight(normalization: Normalization, *, step_tokens: int, conversations: int, conversation_tokens: int
                    ) -> float:
    """The weight one trained token's loss term has under ``normalization``."""
    if normalization == "token":
        return 1.0 / step_tokens
    if normalization == "sequence":
        return 1.0 / (conversations * conversation_tokens)
    raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
