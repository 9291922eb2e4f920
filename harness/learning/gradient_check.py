"""Per-position gradient attribution on a batch from the real collator, through the trainer's own loss.

The gradient of the loss with respect to the final hidden state at position ``t`` is non-zero exactly when the
prediction made at ``t`` (of token ``t+1``) is trained. So, for a correct pipeline, the set of positions with
gradient equals the set of positions whose *shifted* label is not -100; and changing a trained target changes the
loss and the gradients, while masked targets (whatever they are) cannot. A loss that ignores the mask, shifts
twice or not at all, or trains padding shows up as a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attribution:
    expected: list[list[bool]]  # per row, per position t: label[t+1] != -100
    observed: list[list[bool]]  # per row, per position t: |d loss / d hidden[t]| > 0

    @property
    def mismatches(self) -> list[tuple[int, int]]:
        return [
            (r, t)
            for r, (exp_row, obs_row) in enumerate(zip(self.expected, self.observed))
            for t, (e, o) in enumerate(zip(exp_row, obs_row))
            if e != o
        ]


def _final_norm(model):
    base = getattr(model, "model", None)
    norm = getattr(base, "norm", None)
    if norm is None:
        raise ValueError(f"{type(model).__name__}: no final norm at model.model.norm to attribute gradients to")
    return norm


def attribute(model, batch, loss_fn) -> Attribution:
    """``loss_fn(model, batch) -> scalar``: the trainer's loss (e.g. ``harness.adapters.trl.sft_loss_fn``)."""
    import torch

    captured = {}

    def hook(_module, _inputs, output):
        output.retain_grad()
        captured["hidden"] = output

    handle = _final_norm(model).register_forward_hook(hook)
    try:
        model.zero_grad(set_to_none=True)
        loss = loss_fn(model, batch)
        loss.backward()
    finally:
        handle.remove()
    grad = captured["hidden"].grad.abs().sum(-1)  # (B, T)
    labels = batch["labels"]
    expected = torch.zeros_like(labels, dtype=torch.bool)
    expected[:, :-1] = labels[:, 1:] != -100
    return Attribution(expected=expected.tolist(), observed=(grad > 0).tolist())


def target_sensitivity(model, batch, loss_fn, row: int, position: int, vocab_size: int) -> tuple[bool, bool]:
    """(loss changed, gradients changed) when the label at (row, position) is replaced by another token id."""
    import torch

    def loss_and_grads(b):
        model.zero_grad(set_to_none=True)
        loss = loss_fn(model, b)
        loss.backward()
        grads = torch.cat([p.grad.detach().flatten() for p in model.parameters() if p.grad is not None])
        return loss.detach(), grads

    base_loss, base_grads = loss_and_grads(batch)
    perturbed = dict(batch)
    perturbed["labels"] = batch["labels"].clone()
    old = int(batch["labels"][row, position])
    perturbed["labels"][row, position] = (old + 1) % vocab_size if old != -100 else -100
    loss, grads = loss_and_grads(perturbed)
    return (not torch.equal(loss, base_loss), not torch.equal(grads, base_grads))
