"""Planted loss bugs: each a small change to one real training step (``reference_step``), the shape of a bug seen in
real trainers. A check at the loss (``harness.check_training_step``) must report each as its own class and pass the
unmodified step.

``reference_step(tokenizer, stop)``: the independent correct labels (``harness.testing.reference.correct_masker``,
unshifted, -100 = untrained), right-padded into micro-batches of ``micro_batch_size`` rows, and the model's own loss
(transformers' ``ForCausalLMLoss``: it shifts the labels) with ``num_items_in_batch`` = the step's trained tokens, so
the sum over micro-batches is the token mean over the optimizer step (transformers' ``Trainer`` since 4.46).

``flattening_step(tokenizer, stop)``: the padding-free step (transformers' ``Trainer`` with
``DataCollatorWithFlattening``), the base of the two packing bugs.

``PLANTED_LOSS_BUGS``: name -> (factory(tokenizer, stop) -> step, the failure key it must raise).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.testing import planted
from harness.testing.reference import IGNORE, correct_masker


def _rows(tokenizer, stop: str, conversations, *, pre_shift=False, unmasked=False, masker=None) -> list[dict]:
    masker = masker or correct_masker(tokenizer, stop)
    rows = []
    for c in conversations:
        out = masker(c["messages"], c.get("tools"))
        ids, labels = list(out["input_ids"]), list(out["labels"])
        if unmasked:
            labels = list(ids)
        if pre_shift:  # labels[i] = the token the model should predict at i, as if the loss did not shift
            labels = [ids[i + 1] if labels[i] != IGNORE and i + 1 < len(ids) else IGNORE for i in range(len(ids))]
        rows.append({"input_ids": ids, "labels": labels})
    return rows


def _pad(rows: list[dict], pad_id: int, *, label_padding: int = IGNORE, left: bool = False):
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), label_padding, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for b, r in enumerate(rows):
        n = len(r["input_ids"])
        span = slice(width - n, width) if left else slice(0, n)
        ids[b, span] = torch.as_tensor(r["input_ids"])
        labels[b, span] = torch.as_tensor(r["labels"])
        mask[b, span] = 1
    return ids, labels, mask


def reference_step(tokenizer, stop: str, *, micro_batch_size: int | None = None, pre_shift: bool = False,
                   unmasked: bool = False, pad_labels_with_pad_id: bool = False, per_sequence_mean: bool = False,
                   per_micro_batch_mean: bool = False, masker=None, left_padding: bool = False,
                   no_attention_mask: bool = False) -> Callable:
    """The unmodified step with every option False; each option is one planted bug (see the module), but
    ``left_padding`` (rows padded on the left, as for generation: correct with the attention mask). ``masker``
    replaces the correct labels (a planted masking bug, ``harness.testing.planted``)."""

    def step(model, conversations):
        import torch

        rows = _rows(tokenizer, stop, conversations, pre_shift=pre_shift, unmasked=unmasked, masker=masker)
        size = micro_batch_size or len(rows)
        batches = [_pad(rows[i:i + size], tokenizer.pad_token_id,
                        label_padding=tokenizer.pad_token_id if pad_labels_with_pad_id else IGNORE, left=left_padding)
                   for i in range(0, len(rows), size)]
        if no_attention_mask:  # the padding is attended (invisible with right padding in a causal model)
            batches = [(ids, labels, None) for ids, labels, _ in batches]
        items = sum(int((labels[:, 1:] != IGNORE).sum()) for _, labels, _ in batches)
        total = 0
        for ids, labels, mask in batches:
            if per_sequence_mean:  # each row's token mean, then the mean over rows
                logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
                target = labels[:, 1:]
                per_token = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target, ignore_index=IGNORE,
                                                              reduction="none")
                counts = (target != IGNORE).sum(-1).clamp(min=1)
                total = total + (per_token.sum(-1) / counts).sum() / len(rows)
            elif per_micro_batch_mean:  # the pre-4.46 accumulation: each micro-batch's mean / accumulation steps
                total = total + model(input_ids=ids, attention_mask=mask, labels=labels).loss / len(batches)
            else:
                total = total + model(input_ids=ids, attention_mask=mask, labels=labels,
                                      num_items_in_batch=torch.tensor(items)).loss
        return total

    return step


def flattening_step(tokenizer, stop: str, **bug):
    """The padding-free step: transformers' ``Trainer`` with ``DataCollatorWithFlattening`` over the independent
    correct labels (``harness.adapters.transformers.flattening_training_step``); ``bug`` plants a packing bug."""
    from harness.adapters.transformers import flattening_training_step

    return flattening_training_step(correct_masker(tokenizer, stop), **bug)


PLANTED_LOSS_BUGS: dict[str, tuple[Callable, str]] = {
    "labels_shifted_twice": (lambda tok, stop: reference_step(tok, stop, pre_shift=True), "target_shifted[two ahead]"),
    "mask_shifted_late": (lambda tok, stop: reference_step(tok, stop, masker=planted.mask_shifted_right(tok, stop)),
                          "mask_shifted[late]"),
    "mask_ignored": (lambda tok, stop: reference_step(tok, stop, unmasked=True), "mask_ignored"),
    "padding_trained": (lambda tok, stop: reference_step(tok, stop, pad_labels_with_pad_id=True),
                        "padding_trained[padding]"),
    "mean_per_sequence": (lambda tok, stop: reference_step(tok, stop, per_sequence_mean=True),
                          "token_weight[mean per sequence]"),
    "mean_per_micro_batch": (lambda tok, stop: reference_step(tok, stop, micro_batch_size=2,
                                                              per_micro_batch_mean=True),
                             "token_weight[mean per micro-batch]"),
    "left_padding_attended": (lambda tok, stop: reference_step(tok, stop, left_padding=True, no_attention_mask=True),
                              "padding_attended"),
    "packed_rows_attend_across": (lambda tok, stop: flattening_step(tok, stop, use_cache=True),
                                  "cross_row_attention"),
    "position_ids_not_reset": (lambda tok, stop: flattening_step(tok, stop, reset_position_ids=False),
                               "position_ids[not reset]"),
}
