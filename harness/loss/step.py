"""The training step the check at the loss runs, and the normalisations a trainer may document.

A **training step** is ``step(model, conversations) -> loss`` (or ``-> StepResult``):

- ``model``: the causal LM the harness built (a tiny Qwen2 on CPU, ``harness.adapters.transformers.tiny_causal_lm``);
  the step calls it as the trainer does (``model(input_ids=..., attention_mask=..., ...)``), once per micro-batch;
  forward passes made under ``torch.no_grad`` (generation, reference or old log-probabilities) are not part of the
  loss and are not judged;
- ``conversations``: the optimizer step's examples, a list of ``{"messages": [...], "tools": [...] | None}`` dicts
  in OpenAI/HF format (the step tokenizes and collates them as the trainer does: chat template, padding, packing,
  splitting into micro-batches);
- returns the scalar tensor whose ``backward()`` gives the gradient of **one optimizer step**: for gradient
  accumulation, the sum of the micro-batch losses exactly as the trainer scales each before its ``backward``
  (``loss / gradient_accumulation_steps``, or the loss normalised by ``num_items_in_batch``). The step must not
  call ``backward`` nor step an optimizer itself. A step whose tokens carry a factor besides the normalisation (an
  RL step: each conversation's advantage) returns ``StepResult(loss, scales=[...])``.

A **normalisation** is what the trainer documents each trained token's weight to be (``N`` trained tokens in the
optimizer step, ``R`` conversations, ``n_r`` trained tokens in conversation ``r``, ``M`` micro-batches, ``m`` trained
tokens in the token's micro-batch, ``L`` a documented constant length), times the conversation's scale:

- ``"token"``: ``1/N``, the mean over every trained token of the optimizer step, whatever the split into
  micro-batches, padding or packing: transformers' ``Trainer`` with ``num_items_in_batch``, trl's SFT loss, GRPO's
  ``dapo`` / ``cispo``, verl's ``token-mean``;
- ``"sequence"``: ``1/(R·n_r)``, the mean of each conversation's token mean: GRPO's ``grpo`` / ``sapo``, verl's
  ``seq-mean-token-mean``;
- ``"sequence_sum"``: ``1/R``, the mean of each conversation's token sum: verl's ``seq-mean-token-sum``, GRPO's
  ``luspo``;
- ``"micro_batch_token"``: ``1/(M·m)``, each micro-batch's token mean, averaged over the accumulation steps: GRPO's
  ``bnpo`` (documented as normalising over the local batch only);
- ``"fixed_length"``: ``1/(R·L)``, each conversation's token sum over a constant: GRPO's ``dr_grpo``
  (``L = max_completion_length``), verl's ``seq-mean-token-sum-norm``;
- ``"sum"``: ``1``, the plain sum over the trained tokens: verl's ``token-sum``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

NORMALIZATIONS = ("token", "sequence", "sequence_sum", "micro_batch_token", "fixed_length", "sum")
Normalization = Literal["token", "sequence", "sequence_sum", "micro_batch_token", "fixed_length", "sum"]

# How a failure names the weights a normalisation gives (``judging``'s ``token_weight[kind]``).
NORMALIZATION_NAMES = {"token": "mean per token", "sequence": "mean per sequence",
                       "sequence_sum": "sum per sequence", "micro_batch_token": "mean per micro-batch",
                       "fixed_length": "sum over a constant length", "sum": "sum"}

TrainingStep = Callable[[Any, Sequence[dict]], Any]


@dataclass
class StepResult:
    """What a step returns when its tokens carry a factor besides the normalisation.

    ``scales[r]``: the factor every trained token of conversation ``r`` carries (GRPO: its advantage, sign included;
    0 means the conversation gets no gradient at all, as a GRPO group whose rewards are all equal)."""

    loss: Any
    scales: Sequence[float] | None = None


def validate_normalization(normalization, length) -> None:
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if normalization == "fixed_length":
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"normalization='fixed_length' needs normalization_length, a positive int (GRPO's "
                             f"max_completion_length), got {length!r}")


def expected_weight(normalization: Normalization, *, step_tokens: int, conversations: int, conversation_tokens: int,
                    micro_batches: int = 1, micro_batch_tokens: int = 0, length: int | None = None) -> float:
    """The weight one trained token's loss term has under ``normalization`` (before the conversation's scale)."""
    if normalization == "token":
        return 1.0 / step_tokens
    if normalization == "sequence":
        return 1.0 / (conversations * conversation_tokens)
    if normalization == "sequence_sum":
        return 1.0 / conversations
    if normalization == "micro_batch_token":
        return 1.0 / (micro_batches * micro_batch_tokens)
    if normalization == "fixed_length":
        validate_normalization(normalization, length)
        return 1.0 / (conversations * length)
    if normalization == "sum":
        return 1.0
    raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
