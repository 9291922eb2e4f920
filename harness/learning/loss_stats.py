"""Loss distribution of a collated SFT batch: active vs total tokens, per-token loss by role.

Each token's role is the chat turn it sits in, found from the chat template's own role headers
(``harness.masking.roles``); padding is ``"other"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.masking.roles import id_roles, role_headers

if TYPE_CHECKING:
    import torch


def token_roles(tokenizer, input_ids: list[int], headers: list[tuple[str, str]] | None = None) -> list[str]:
    """The chat role of each token (``"other"`` for padding), from the template's role headers
    (``role_headers(tokenizer)`` unless given)."""
    pad = tokenizer.pad_token_id
    roles = id_roles(tokenizer, input_ids, headers)
    return ["other" if token == pad else role for token, role in zip(input_ids, roles)]


def per_token_losses(model, batch) -> torch.Tensor:
    """Unreduced next-token cross entropy at every position (0 where the label is -100), shape (B, T-1)."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask")).logits
    labels = batch["labels"][:, 1:]
    losses = F.cross_entropy(
        logits[:, :-1].float().reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100, reduction="none"
    )
    return losses.view(labels.shape)


def loss_distribution(model, tokenizer, batch) -> dict:
    """Active (trained) vs total tokens, and mean/std/max of per-token loss by role over the trained tokens; also
    the loss the model *would* have on masked tokens, by role (what masking hides)."""
    losses = per_token_losses(model, batch)
    labels = batch["labels"][:, 1:]
    attention = batch["attention_mask"][:, 1:] if "attention_mask" in batch else (labels * 0 + 1)
    headers = role_headers(tokenizer)
    by_role: dict[str, dict[str, list[float]]] = {}
    for row in range(labels.size(0)):
        roles = token_roles(tokenizer, batch["input_ids"][row].tolist(), headers)[1:]
        for t, role in enumerate(roles):
            if not attention[row, t]:
                continue
            kind = "trained" if labels[row, t] != -100 else "masked"
            by_role.setdefault(role, {"trained": [], "masked": []})[kind].append(float(losses[row, t]))
    total = int(attention.sum())
    active = int((labels != -100).sum())
    return {
        "total_tokens": total,
        "active_tokens": active,
        "active_fraction": active / max(total, 1),
        "by_role": {
            role: {"trained": describe(v["trained"]), "masked_count": len(v["masked"])} for role, v in by_role.items()
        },
    }


def describe(values: Sequence[float]) -> dict[str, float | int | None]:
    """``count``, ``mean``, ``std`` (population) and ``max`` of ``values`` (None but the count when empty)."""
    if not values:
        return {"count": 0, "mean": None, "std": None, "max": None}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {"count": len(values), "mean": mean, "std": std, "max": max(values)}
