"""Per-position gradient attribution: d loss / d (final hidden state) at every position of every forward pass.

The gradient with respect to the final hidden state at position ``t`` is non-zero exactly when the prediction made at
``t`` (of token ``t+1``) is in the loss, and its size and direction say with what weight and towards which target
(``weights``). ``capture`` records every forward pass a training step makes (one per micro-batch), with the
``input_ids`` the model saw, so the caller need not know how the step splits, pads or packs its batch.

``attribute`` / ``target_sensitivity`` judge a batch against its own labels (``harness.learning`` uses them; the
oracle-based check is ``harness.loss.check``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Forward:
    """One forward pass of the model during a step: the ids it saw, and the final hidden state with its gradient."""

    input_ids: Any  # (B, T) long tensor
    hidden: Any  # (B, T, H) tensor, detached, after the step's backward
    grad: Any  # (B, T, H) tensor: d loss / d hidden (zeros where the loss does not reach)
    position_ids: Any = None  # (B, T) tensor when the step passed them (packed / padding-free rows)


def final_norm(model):
    """The module whose output is the final hidden state (the LM head's input)."""
    base = getattr(model, "model", None)
    norm = getattr(base, "norm", None)
    if norm is None:
        raise ValueError(f"{type(model).__name__}: no final norm at model.model.norm to attribute gradients to")
    return norm


def only_final_norm_trainable(model):
    """Freeze every parameter but the final norm's: d loss / d (final hidden state) is unchanged (it depends on no
    weight's ``requires_grad``), and backward skips the weight gradients of the LM head and the embedding."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in final_norm(model).parameters():
        parameter.requires_grad_(True)
    return model


def capture(model, run: Callable[[], Any]) -> tuple[Any, list[Forward]]:
    """``(loss, forwards)``: calls ``run()`` (which returns the scalar loss), backpropagates it once, and returns
    every forward pass the model made with the gradient that reached its final hidden state."""
    loss, forwards, _ = capture_step(model, run)
    return loss, forwards


def capture_step(model, run: Callable[[], Any]) -> tuple[Any, list[Forward], list[float] | None]:
    """``capture`` for a training step (``harness.loss.step``): ``run()`` returns the loss or a ``StepResult``;
    returns ``(loss, forwards, scales)``. Forward passes made without gradient (under ``torch.no_grad``: generation,
    reference or old log-probabilities) are left out: they are not part of the loss."""
    import torch

    from harness.loss.step import StepResult

    calls: list[dict] = []

    def model_pre_hook(_module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        calls.append({"input_ids": None if ids is None else ids.detach().clone(),
                      "position_ids": None if kwargs.get("position_ids") is None
                      else kwargs["position_ids"].detach().clone()})

    def norm_hook(_module, _inputs, output):
        if not calls or "hidden" in calls[-1]:
            raise RuntimeError("the final norm ran without a model forward call (a step calling submodules directly?)")
        if output.requires_grad:
            output.retain_grad()
        calls[-1]["hidden"] = output
        calls[-1]["graded"] = torch.is_grad_enabled()

    handles = [model.register_forward_pre_hook(model_pre_hook, with_kwargs=True),
               final_norm(model).register_forward_hook(norm_hook)]
    try:
        model.zero_grad(set_to_none=True)
        loss = run()
        scales = None
        if isinstance(loss, StepResult):
            loss, scales = loss.loss, (None if loss.scales is None else [float(x) for x in loss.scales])
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise TypeError(f"the training step must return the scalar loss tensor it would backpropagate, got "
                            f"{type(loss).__name__}{tuple(loss.shape) if isinstance(loss, torch.Tensor) else ''}")
        if not loss.requires_grad:
            raise ValueError("the training step returned a loss with no gradient (computed under torch.no_grad, "
                             "or detached): the optimizer would see nothing")
        loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    forwards = []
    for call in calls:
        if "hidden" in call and not call["graded"]:
            continue  # under no_grad: not part of the loss
        if call.get("input_ids") is None or "hidden" not in call:
            raise ValueError("a forward pass of the step gave no input_ids (inputs_embeds?): positions cannot be "
                             "matched to tokens")
        hidden = call["hidden"]
        grad = hidden.grad if hidden.grad is not None else torch.zeros_like(hidden)
        forwards.append(Forward(call["input_ids"], hidden.detach(), grad.detach(), call["position_ids"]))
    return loss.detach(), forwards, scales


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


def attribute(model, batch, loss_fn) -> Attribution:
    """``loss_fn(model, batch) -> scalar``: the trainer's loss (e.g. ``harness.adapters.trl.sft_loss_fn``), judged
    against the batch's own labels."""
    import torch

    _, forwards = capture(model, lambda: loss_fn(model, batch))
    if len(forwards) != 1:
        raise ValueError(f"attribute expects one forward pass per batch, the loss made {len(forwards)}")
    grad = forwards[0].grad.abs().sum(-1)  # (B, T)
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
