"""The weight and the target of each position's prediction, read from its gradient.

For a cross-entropy term ``w * CE(W h_t, y)`` at position ``t`` (``W`` the LM head, ``h_t`` the final hidden state),
d loss / d h_t = ``w * W^T (softmax(W h_t) - onehot(y))``. Given the captured gradient ``g_t`` and the hidden state,
the harness computes the same vector ``r_t(y)`` for a candidate target ``y`` (in float64); ``g_t`` is parallel to it
exactly when the loss trains ``y`` there, and ``w = <g_t, r_t> / <r_t, r_t>`` is the weight it got. A target
shifted twice (``y = token t+2``) or not at all (``y = token t``) points elsewhere: with random embeddings the
cosine between two tokens' directions is near 0, far below ``COSINE_MIN``.
"""

from __future__ import annotations

from dataclasses import dataclass

COSINE_MIN = 0.999  # |cos| below this: the gradient does not point at the candidate target
RELATIVE_TOLERANCE = 2e-3  # a weight within this of the documented one (float32 losses) is the documented one


@dataclass(frozen=True)
class PositionGradient:
    weight: float  # projection of the gradient on the target's direction
    cosine: float  # cosine between the gradient and that direction


def lm_head_weight(model):
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None or getattr(head, "bias", None) is not None:
        raise ValueError(f"{type(model).__name__}: weights need a bias-free linear LM head")
    return head.weight


def position_gradients(model, hidden, grad, targets) -> list[PositionGradient]:
    """One ``PositionGradient`` per row of ``hidden`` (n, H) / ``grad`` (n, H), against ``targets`` (n ids)."""
    import torch

    if len(targets) == 0:
        return []
    W = lm_head_weight(model).detach().to(torch.float64)
    out = []
    for start in range(0, len(targets), 64):
        h = hidden[start:start + 64].to(torch.float64)
        g = grad[start:start + 64].to(torch.float64)
        y = torch.as_tensor(list(targets[start:start + 64]), dtype=torch.long)
        p = torch.softmax(h @ W.T, dim=-1)
        r = p @ W - W[y]
        rr = (r * r).sum(-1)
        gr = (g * r).sum(-1)
        norms = g.norm(dim=-1) * rr.sqrt()
        for k in range(len(y)):
            cos = float(gr[k] / norms[k]) if float(norms[k]) > 0 else 0.0
            out.append(PositionGradient(float(gr[k] / rr[k]), cos))
    return out


def close(a: float, b: float) -> bool:
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))
