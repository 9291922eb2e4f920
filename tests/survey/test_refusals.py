"""The oracle's refusal rate on sampled conversations (harness/survey/refusals.py)."""

from __future__ import annotations

import pytest

from harness.survey.refusals import refusals, sample_conversations


def test_refusals_count_conversations_the_template_cannot_render(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("gemma-2-it")  # Gemma 2 raises on a system message
    conversation = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                                 {"role": "assistant", "content": "a"}], "tools": None}
    plain = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}], "tools": None}
    result = refusals(tokenizer, [conversation, plain])
    assert (len(result.refused), len(result.judged), result.rate) == (1, 1, 0.5)
    assert "System role not supported" in result.reasons()[0]


def test_sampled_conversations_are_reproducible(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    first = sample_conversations(tokenizer, 4, seed=3)
    assert first == sample_conversations(tokenizer, 4, seed=3) and len(first) == 4
    with pytest.raises(ValueError, match="count"):
        sample_conversations(tokenizer, 0)
