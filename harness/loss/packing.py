"""Each conversation must be computed as if it were alone in its row: packed rows, and rows padded on the left.

In a causal model only what comes before a conversation in its row can change it. So for every conversation that
does not start its row, the check at the loss also asks:

- ``position_ids[not reset]`` (packed rows only: the row holds another conversation): its positions count from 0
  (the ids the step passed; none passed means the model counts on across the whole row);
- ``cross_row_attention`` (packed) / ``padding_attended`` (only padding before it): the final hidden state at every
  position of the conversation equals the one the step computes for that conversation alone
  (``step(model, [conversation])``, run without gradient), within ``HIDDEN_TOLERANCE`` (absolute, on the final
  norm's output, float32). The per-token loss is a function of that hidden state and the target, so equal hidden
  states mean the packed row's per-token loss equals the row's alone, and that changing another packed row's
  tokens (or the padding) changes nothing in it (alone, there is none).
A position-id failure is reported alone: the model's attention follows the position ids, so it implies the other.
"""

from __future__ import annotations

from harness.loss.attribution import final_norm
from harness.loss.judging import Finding, StepView, find_rendering

HIDDEN_TOLERANCE = 1e-4


def _rows(view: StepView) -> dict[tuple[int, int], list[int]]:
    rows: dict[tuple[int, int], list[int]] = {}
    for k, place in enumerate(view.places):
        if place is not None:
            rows.setdefault((place.call, place.row), []).append(k)
    return rows


def packed_conversations(view: StepView) -> list[int]:
    """The conversations that share their forward row with another."""
    return sorted(k for ks in _rows(view).values() if len(ks) > 1 for k in ks)


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
    packed = set(packed_conversations(view))
    for k in sorted(packed):
        place = view.places[k]
        n = place.length or len(view.oracles[k].input_ids)
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
    for k, place in enumerate(view.places):
        if place is None or place.start == 0:
            continue  # nothing before it in its row: a causal model computes it as alone
        n = place.length or len(view.oracles[k].input_ids)  # the rendering's tokens in the row
        key = "cross_row_attention" if k in packed else "padding_attended"
        if key in found:
            continue
        ids, hidden = _alone(step, model, conversations[k])
        ids = [(i, h) for i, h in zip(ids, hidden) if i is not None]
        if len(ids) != 1 or ids[0][0].shape[0] != 1:
            raise ValueError(f"the step made {len(ids)} forward pass(es) for one conversation: the isolation check "
                             f"compares a conversation's one row alone with its row in the step")
        (alone_ids, alone_hidden), = ids
        start = find_rendering(alone_ids[0].tolist(), view.oracles[k].input_ids[:n], [])
        if start is None:
            continue  # alone, the step tokenizes it otherwise: rows_match_rendering judges the step
        in_step = view.forwards[place.call].hidden[place.row, place.start:place.start + n]
        difference = (in_step - alone_hidden[0, start:start + n]).abs().amax(-1)
        bad = [j for j in range(n) if float(difference[j]) > HIDDEN_TOLERANCE]
        if bad:
            what = "the other conversations of the row" if key == "cross_row_attention" else "the padding before it"
            found[key] = Finding(
                key, "", k, tuple(j + 1 for j in bad if j + 1 < n)[:8],
                f"conversation {k}'s final hidden states in its row differ from its own alone (max "
                f"{float(difference.max()):.3g} > {HIDDEN_TOLERANCE:g}) from token {bad[0]} on: it attends to {what}, "
                f"so its loss depends on their tokens (flagged: the first tokens those positions predict)")
    return list(found.values())
