"""harness/masking/output.py: padding marked by attention_mask, trl's completion_mask, on their own and through
check_masker (a correct masker that pads its sequence is no false alarm; one that trains its padding is caught)."""

from __future__ import annotations

import pytest

from harness.masking.check import check_masker
from harness.masking.output import MaskerOutputError, normalize_output
from harness.testing import reference
from harness.testing.reference import IGNORE


def test_attention_mask_drops_padding_on_either_side():
    out = normalize_output({"input_ids": [0, 5, 6, 7, 0], "labels": [IGNORE, IGNORE, 6, 7, IGNORE],
                            "attention_mask": [0, 1, 1, 1, 0]})
    assert (out.input_ids, out.trained, out.labels) == ([5, 6, 7], [False, True, True], [IGNORE, 6, 7])


def test_completion_mask_is_a_mask_key():
    out = normalize_output({"input_ids": [5, 6, 7], "completion_mask": [0, 1, 1]})
    assert (out.trained, out.source) == ([False, True, True], "completion_mask")


@pytest.mark.parametrize(
    "output, problem",
    [
        ({"input_ids": [5, 6, 0], "labels": [IGNORE, 6, 0], "attention_mask": [1, 1, 0]},
         r"1 padding position\(s\) \(attention_mask 0\) are trained: 2 \(id 0\)"),
        ({"input_ids": [5, 6], "labels": [5, 6], "attention_mask": [1]}, "attention_mask has 1 entries"),
        ({"input_ids": [5, 6], "labels": [5, 6], "attention_mask": [1, 2]}, r"attention_mask\[1\] is 2"),
    ],
)
def test_bad_padding_is_named(output, problem):
    with pytest.raises(MaskerOutputError, match=problem):
        normalize_output(output)


def _padded(masker, pad_id, *, train_padding=False):
    def padded(messages, tools):
        out = masker(messages, tools)
        extra = 4
        pad_labels = [pad_id if train_padding else IGNORE] * extra
        return {"input_ids": [pad_id] * extra + out["input_ids"], "labels": pad_labels + out["labels"],
                "attention_mask": [0] * extra + [1] * len(out["input_ids"])}

    return padded


def test_a_padded_correct_masker_passes_and_trained_padding_is_caught(load_tokenizer_or_skip):
    # Llama 3.1 has no pad token: padding with id 0 ("!") spells other text unless attention_mask is honoured.
    tokenizer = load_tokenizer_or_skip("llama-3.1-instruct")
    correct = reference.correct_masker(tokenizer, "<|eot_id|>")
    assert check_masker(_padded(correct, 0), tokenizer, max_examples=3).passed
    report = check_masker(_padded(correct, 0, train_padding=True), tokenizer, max_examples=3, max_rounds=1)
    assert not report.passed
    assert "padding position(s) (attention_mask 0) are trained" in str(report)
