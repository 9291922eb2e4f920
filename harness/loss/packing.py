"""Packed and padding-free rows: each conversation of a packed row must be computed as if it were alone.

When a forward row holds several conversations (``DataCollatorWithFlattening``, trl's ``packing=True`` /
``padding_free``), the check at the loss also asks:

- ``position_ids[not reset]``: each conversation's positions count from 0 (the ids the step passed; none passed means
  the model counts on across the whole row);
- ``cross_row_attention``: the final hidden state at every position of the conversation equals the one the step
  computes for that conversation alone (``step(model, [conversation])``), within ``HIDDEN_TOLERANCE`` (absolute, on
  the final norm's output, float32). The per-token loss is a function of that hidden state and the target, so equal
  hidden states mean the packed row's per-token loss equals the row's alone, and that changing another packed row's
  tokens changes nothing in it (alone, there is no other row).
A position-id failure is reported alone: the model's attention follows the position ids, so it implies the other.
"""

from __future__ import annotations

from harness.loss.attribution import final_norm
from harness.loss.judging import Finding, StepView, find_rendering

HIDDEN_TOLERANCE = 1e-4


def packed_conversations(view: StepView) -> list[int]:
    """The conversations that share their forward row with another."""
    rows: dict[tuple[int, int], list[int]] = {}
    for k, place in enumerate(view.places):
        if place is not None:
            rows.setdefault((place.call, place.row), []).append(k)
    return sorted(k for ks in rows.values() if len(ks) > 1 for k in ks)


def _alone(step, model, conversation: dict):
    """``(ids, hidden)`` of every forward row the step makes for ``conversation`` alone (no backward)."""
    import torch

    ids, hidden = [], []
    handles = [model.register_forward_pre_hook(
        lambda _m, args, kwargs: ids.append(kwargs.get("input_ids", args[0] if args else None)), with_kwargs=True),
        final_norm(model).register_forward_hook(lambda _m, _i, out: hidden.append(out.detach()))]
    try:
        with torch.no_grad():
            step(model, [conversation])
    finally:
        for handle in handles:
            handle.remove()
    return ids, hidden


def packing_findings(step, model, view: StepView, conversations: list[dict]) -> list[Finding]:
    found: dict[str, Finding] = {}
    packed = packed_conversations(view)
    for k in packed:
        place = view.places[k]
        n = len(view.oracles[k].input_ids) if place.length is None else place.length
        positions = view.forwards[place.call].position_ids
        got = list(range(place.start, place.start + n)) if positions is None else \
            positions[place.row if positions.shape[0] > 1 else 0, place.start:place.start + n].tolist()
        if got != list(range(n)):
            given = "the step passed none, so the model counts on across the row" if positions is None else \
                f"the step passed {got[:4]}…"
            found.setdefault("position_ids[not reset]", Finding(
                "position_ids", "not reset", k, (0,),
                f"conversation {k} shares a packed row but its position ids do not start at 0 ({given}): it is "
                f"computed as the continuation of the row's earlier conversations"))
    if found:
        return list(found.values())
    for k in packed:
        place = view.places[k]
        n = len(view.oracles[k].input_ids) if place.length is None else place.length
        ids, hidden = _alone(step, model, conversations[k])
        if len(ids) != 1 or ids[0] is None or ids[0].shape[0] != 1:
            raise ValueError(f"the step made {len(ids)} forward pass(es) for one conversation: the packing check "
                             f"compares a conversation's one row alone with its packed row")
        start = find_rendering(ids[0][0].tolist(), view.oracles[k].input_ids, [])
        if start is None:
            continue  # alone, the step tokenizes it otherwise: rows_match_rendering judges the packed step
        packed_hidden = view.forwards[place.call].hidden[place.row, place.start:place.start + n]
        difference = (packed_hidden - hidden[0][0, start:start + n]).abs().amax(-1)
        bad = [j for j in range(n) if float(difference[j]) > HIDDEN_TOLERANCE]
        if bad:
            found.setdefault("cross_row_attention", Finding(
                "cross_row_attention", "", k, tuple(j + 1 for j in bad if j + 1 < n)[:8],
                f"conversation {k}'s final hidden states in its packed row differ from its own alone (max "
                f"{float(difference.max()):.3g} > {HIDDEN_TOLERANCE:g}) from token {bad[0]} on: it attends to the "
                f"other conversations of the row, so its loss depends on their tokens (flagged: the first tokens "
                f"those positions predict)"))
    return list(found.values())
