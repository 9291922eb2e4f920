"""What a masker returned, normalised: ``input_ids`` and which positions are trained.

A masker returns a mapping with ``input_ids`` (list of ints or a 1-D tensor/array) and either
``labels`` (same length, ``-100`` = not trained, unshifted: ``labels[i] == input_ids[i]`` where
trained) or a 0/1 mask under ``assistant_masks``, ``loss_mask``, ``completion_mask`` or ``mask``.
A padded sequence comes with its ``attention_mask``: positions where it is 0 are padding, dropped
before judging, and must not be trained. Anything else is a ``MaskerOutputError`` naming the key
and the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

IGNORE_INDEX = -100
MASK_KEYS = ("assistant_masks", "loss_mask", "completion_mask", "mask")


class MaskerOutputError(ValueError):
    """The masker's return value does not follow the contract."""


@dataclass(frozen=True)
class MaskerOutput:
    input_ids: list[int]
    trained: list[bool]
    labels: list[int] | None  # as returned, when the masker returned labels
    source: str  # "labels" or the mask key used


def _as_int_list(value: Any, key: str) -> list[int]:
    if hasattr(value, "tolist") and not isinstance(value, list):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise MaskerOutputError(f"{key} must be a list of ints or a 1-D tensor, got {type(value).__name__}")
    if value and isinstance(value[0], (list, tuple)):
        if len(value) > 1:
            raise MaskerOutputError(f"{key} is a batch of {len(value)} sequences; return one")
        value = value[0]  # a batch of one ([1, n], as return_tensors="pt" gives) is unambiguous
    out = []
    for position, item in enumerate(value):
        if hasattr(item, "item") and not isinstance(item, (list, tuple)):
            item = item.item()
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int):
            if isinstance(item, bool):
                item = int(item)
            else:
                raise MaskerOutputError(f"{key}[{position}] is {item!r}, not an int (input_ids and labels must be 1-D)")
        out.append(int(item))
    return out


def _without_padding(output: Mapping, result: MaskerOutput) -> MaskerOutput:
    """Drop the positions ``attention_mask`` marks as padding (0); a trained padding position is an error."""
    if output.get("attention_mask") is None:
        return result
    attention = _as_int_list(output["attention_mask"], "attention_mask")
    if len(attention) != len(result.input_ids):
        raise MaskerOutputError(f"attention_mask has {len(attention)} entries but input_ids has {len(result.input_ids)}")
    bad = [(i, v) for i, v in enumerate(attention) if v not in (0, 1)]
    if bad:
        raise MaskerOutputError(f"attention_mask[{bad[0][0]}] is {bad[0][1]}: a mask holds only 0 and 1")
    trained_padding = [i for i, (a, t) in enumerate(zip(attention, result.trained)) if a == 0 and t]
    if trained_padding:
        shown = ", ".join(f"{i} (id {result.input_ids[i]})" for i in trained_padding[:5])
        raise MaskerOutputError(
            f"{len(trained_padding)} padding position(s) (attention_mask 0) are trained: {shown}; "
            "padding must be -100 in labels / 0 in the mask"
        )
    keep = [i for i, a in enumerate(attention) if a == 1]
    return MaskerOutput(
        [result.input_ids[i] for i in keep],
        [result.trained[i] for i in keep],
        None if result.labels is None else [result.labels[i] for i in keep],
        result.source,
    )


def normalize_output(output: Any) -> MaskerOutput:
    if not isinstance(output, Mapping):
        raise MaskerOutputError(f"the masker must return a mapping with input_ids, got {type(output).__name__}")
    if "input_ids" not in output:
        raise MaskerOutputError(f"the masker's result has no input_ids (keys: {sorted(output)})")
    input_ids = _as_int_list(output["input_ids"], "input_ids")
    if output.get("labels") is not None:
        labels = _as_int_list(output["labels"], "labels")
        if len(labels) != len(input_ids):
            raise MaskerOutputError(
                f"labels has {len(labels)} entries but input_ids has {len(input_ids)}: labels must be unshifted "
                "and the same length (a causal-LM shift belongs in the loss, not in the labels)"
            )
        return _without_padding(output, MaskerOutput(input_ids, [label != IGNORE_INDEX for label in labels], labels, "labels"))
    for key in MASK_KEYS:
        if output.get(key) is not None:
            mask = _as_int_list(output[key], key)
            if len(mask) != len(input_ids):
                raise MaskerOutputError(f"{key} has {len(mask)} entries but input_ids has {len(input_ids)}")
            bad = [(i, v) for i, v in enumerate(mask) if v not in (0, 1)]
            if bad:
                raise MaskerOutputError(f"{key}[{bad[0][0]}] is {bad[0][1]}: a mask holds only 0 and 1")
            return _without_padding(output, MaskerOutput(input_ids, [v == 1 for v in mask], None, key))
    raise MaskerOutputError(
        f"the masker's result has neither labels nor a mask ({', '.join(MASK_KEYS)}); keys: {sorted(output)}"
    )
