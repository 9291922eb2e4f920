"""Loss distribution of a collated SFT batch: active vs total tokens, per-token loss by role.

Roles are recovered from the rendered text: each token is attributed to the chat message whose rendered span
(``<|im_start|>ROLE ... <|im_end|>``) contains it.
"""

from __future__ import annotations

import math
import re

ROLE_RE = re.compile(r"<\|im_start\|>(system|user|assistant|tool)\b")


def token_roles(tokenizer, input_ids: list[int]) -> list[str]:
    """The chat role of each token (``"other"`` for padding), from the ``<|im_start|>role`` headers."""
    roles, current = [], "other"
    pieces = tokenizer.convert_ids_to_tokens(input_ids)
    pad = tokenizer.pad_token
    in_tool = False
    for i, piece in enumerate(pieces):
        if piece == "<|im_start|>" and i + 1 < len(pieces):
            header = tokenizer.decode(input_ids[i : i + 2])
            match = ROLE_RE.match(header)
            current = match.group(1) if match else "other"
        # Qwen templates render a tool message inside a user turn, between <tool_response> tags.
        if piece == "<tool_response>":
            in_tool = True
        roles.append("other" if piece == pad else "tool" if in_tool else current)
        if piece == "</tool_response>":
            in_tool = False
    return roles


def per_token_losses(model, batch) -> "torch.Tensor":  # noqa: F821 - torch imported lazily
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
    by_role: dict[str, dict[str, list[float]]] = {}
    for row in range(labels.size(0)):
        roles = token_roles(tokenizer, batch["input_ids"][row].tolist())[1:]
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
            role: {"trained": _describe(v["trained"]), "masked_count": len(v["masked"])} for role, v in by_role.items()
        },
    }


def _describe(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "mean": None, "std": None, "max": None}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {"count": len(values), "mean": mean, "std": std, "max": max(values)}
