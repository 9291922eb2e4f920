"""One conversation through a masker (harness/masking/judging.py): malformed conversations named, ids that spell
the rendering otherwise (resegmented, truncated, other text) named and judged where they can be, collator padding set
aside."""

from __future__ import annotations

import pytest

from harness.masking.judging import judge
from harness.testing import planted as maskers
from harness.testing import reference
from harness.testing.reference import IGNORE


def test_judge_names_a_malformed_conversation(load_tokenizer_or_skip):
    from harness.masking.conversation import ConversationError

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    masker = reference.correct_masker(tokenizer, "<|im_end|>")
    with pytest.raises(ConversationError, match="message 1: tool message answers no call"):
        judge(masker, tokenizer, [{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}])


def test_resegmented_ids_are_named_with_both_sides_and_labels_still_judged(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    masker = reference.per_message_masker(tokenizer, "<|im_end|>")
    calls = [{"id": "call_0001", "type": "function", "function": {"name": "get_weather", "arguments": {"location": "x"}}}]
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": " ", "tool_calls": calls},
                {"role": "tool", "tool_call_id": "call_0001", "name": "get_weather", "content": "sun"},
                {"role": "assistant", "content": "\nok"}]
    from harness.strategies import TOOL_SCHEMAS

    _, failures = judge(masker, tokenizer, messages, [TOOL_SCHEMAS[0]])
    assert [f.key for f in failures] == ["input_ids_match_rendering[segmentation]"]
    assert "masker's tokens there" in failures[0].explanation and "rendering's tokens there" in failures[0].explanation
    # The same segmentation with the stop token left untrained: judged on the masker's own tokens.
    def broken(messages, tools):
        out = masker(messages, tools)
        stop = tokenizer.convert_tokens_to_ids("<|im_end|>")
        return {"input_ids": out["input_ids"], "labels": [IGNORE if t == stop else l for t, l in zip(out["input_ids"], out["labels"])]}

    _, failures = judge(broken, tokenizer, messages, [TOOL_SCHEMAS[0]])
    assert {f.key for f in failures} == {"input_ids_match_rendering[segmentation]", "stop_token_trained[stop token]"}


def test_text_that_differs_makes_labels_unjudgeable_but_truncation_is_judged(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("llama-3.1-instruct")
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    _, failures = judge(maskers.double_bos(tokenizer, "<|eot_id|>"), tokenizer, messages)
    if failures:  # this tokenizer's encode() adds no BOS: then there is nothing to find
        assert [f.key for f in failures] == ["input_ids_match_rendering[text differs]"]
    correct = reference.correct_masker(tokenizer, "<|eot_id|>")

    def cut(messages, tools):
        out = correct(messages, tools)
        return {k: v[:-1] for k, v in out.items()}

    _, failures = judge(cut, tokenizer, messages)
    assert [f.key for f in failures] == ["input_ids_match_rendering[truncated]"]


def test_collator_padding_is_set_aside_and_the_labels_judged(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    correct = reference.correct_masker(tokenizer, "<|im_end|>")
    pad = tokenizer.pad_token_id
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]

    def padded(messages, tools, *, left=0, right=5, trained_pad=False):
        out = correct(messages, tools)
        return {"input_ids": [pad] * left + out["input_ids"] + [pad] * right,
                "labels": [-100] * left + out["labels"] + [pad if trained_pad else -100] * right}

    oracle, failures = judge(padded, tokenizer, messages)
    assert failures == [] and any(h.kind == "padded" for h in oracle.hazards)
    _, failures = judge(lambda m, t: padded(m, t, left=3, right=0), tokenizer, messages)
    assert failures == []
    # A trained pad is not padding: the ids then spell other text than the rendering.
    _, failures = judge(lambda m, t: padded(m, t, trained_pad=True), tokenizer, messages)
    assert [f.key for f in failures] == ["input_ids_match_rendering[text differs]"]


def test_ids_that_leave_out_only_the_untrained_tail_are_a_hazard_not_a_failure(load_tokenizer_or_skip):
    """OpenRLHF's SFT ids end at the last <|im_end|>, without the '\\n' Qwen's template writes after it: nothing the
    model generates is lost. Cutting the stop token itself is still a truncation."""
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    correct = reference.correct_masker(tokenizer, "<|im_end|>")
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]

    def cut(k):
        def masker(messages, tools):
            out = correct(messages, tools)
            return {key: value[:-k] for key, value in out.items()}
        return masker

    assert tokenizer.decode(correct(messages, None)["input_ids"][-1:]) == "\n"
    oracle, failures = judge(cut(1), tokenizer, messages)
    assert failures == [] and [h.kind for h in oracle.hazards] == ["untrained_tail"]
    _, failures = judge(cut(2), tokenizer, messages)
    assert [f.key for f in failures] == ["input_ids_match_rendering[truncated]"]
