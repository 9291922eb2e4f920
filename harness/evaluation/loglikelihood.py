"""Batched continuation log-likelihoods for any Hugging Face causal LM, the way lm-eval-harness
computes them for ``loglikelihood`` requests.

For a (context, continuation) pair, as ``HFLM._encode_pair`` does: trailing spaces of the context
move to the continuation, ``whole = encode(context + continuation)``, ``ctx = encode(context)``,
the continuation tokens are ``whole[len(ctx):]``; no special tokens are added (an empty context is
replaced by the BOS/EOS token). The score is the sum of the continuation tokens' log-probabilities
given everything before them; ``is_greedy`` says whether every continuation token was the argmax.

Many pairs go through one right-padded forward; only the logits of positions that predict
continuation tokens are computed when the model accepts ``logits_to_keep``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EncodedPair:
    context_ids: list[int]
    continuation_ids: list[int]


@dataclass(frozen=True)
class ContinuationScore:
    logprob: float
    is_greedy: bool
    num_tokens: int


def encode_pair(tokenizer, context: str, continuation: str) -> EncodedPair:
    """Token ids of ``context`` and ``continuation`` as lm-eval-harness splits them."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"] if context else []
    cont = whole[len(ctx) :]
    if not ctx:
        prefix = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        ctx = [prefix]
    if not cont:
        raise ValueError(f"continuation {continuation!r} encodes to no token after context {context!r}")
    return EncodedPair(list(ctx), list(cont))


def _accepts_logits_to_keep(model) -> bool:
    try:
        return "logits_to_keep" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def max_length_of(model, default: int = 2048) -> int:
    config = getattr(model, "config", None)
    for name in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return default


def score_batch(model, pairs: Sequence[EncodedPair], *, max_length: int | None = None) -> list[ContinuationScore]:
    """Score ``pairs`` in ONE right-padded forward pass of ``model`` (on the model's device)."""
    import torch

    max_length = max_length or max_length_of(model)
    device = next(model.parameters()).device
    rows, cont_lens = [], []
    for pair in pairs:
        full = (pair.context_ids + pair.continuation_ids)[-(max_length + 1) :]
        rows.append(full[:-1])
        cont_lens.append(min(len(pair.continuation_ids), len(full) - 1))
    width = max(len(r) for r in rows)
    input_ids = torch.zeros((len(rows), width), dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        attention_mask[i, : len(row)] = 1
    # Right padding: row i's continuation is predicted at positions [len_i - cont_i, len_i).
    first_needed = min(len(r) - c for r, c in zip(rows, cont_lens))
    keep = width - first_needed
    kwargs = {"logits_to_keep": keep} if _accepts_logits_to_keep(model) else {}
    with torch.inference_mode():
        logits = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), **kwargs).logits
        offset = width - logits.shape[1]  # position of logits[:, 0] in the padded row
        # Gather every row's continuation positions into one (rows, longest continuation) grid.
        longest = max(cont_lens)
        positions = torch.zeros((len(rows), longest), dtype=torch.long)
        targets = torch.zeros((len(rows), longest), dtype=torch.long)
        valid = torch.zeros((len(rows), longest), dtype=torch.bool)
        for i, (row, pair, n) in enumerate(zip(rows, pairs, cont_lens)):
            start = len(row) - n - offset
            positions[i, :n] = torch.arange(start, start + n)
            targets[i, :n] = torch.tensor(pair.continuation_ids[-n:], dtype=torch.long)
            valid[i, :n] = True
        positions, targets, valid = positions.to(logits.device), targets.to(logits.device), valid.to(logits.device)
        picked_logits = logits.gather(1, positions[:, :, None].expand(-1, -1, logits.shape[-1])).float()
        logprobs = picked_logits.gather(2, targets[:, :, None]).squeeze(2) - torch.logsumexp(picked_logits, dim=-1)
        greedy = (picked_logits.argmax(dim=-1) == targets) | ~valid
        sums = (logprobs * valid).sum(dim=1).tolist()
        all_greedy = greedy.all(dim=1).tolist()
    return [ContinuationScore(float(s), bool(g), n) for s, g, n in zip(sums, all_greedy, cont_lens)]
