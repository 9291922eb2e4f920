"""build_oracle on hand-written conversations whose generated spans are known, and its properties on every template."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.assets.tokenizers import KNOWN_HUB_IDS
from harness.masking.oracle import Expect, OracleError, build_oracle
from harness.masking.oracle.stops import _stop_strings
from harness.strategies import conversations_for

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "w",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


def spans(oracle):
    return [oracle.text[t.start : t.end] for t in oracle.turns]


def test_qwen25_turns_end_at_the_stop_token_not_the_spelled_one(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a<|im_end|>b"}]
    oracle = build_oracle(tokenizer, messages)
    assert spans(oracle) == ["a<|im_end|>b<|im_end|>"]
    assert any(h.kind == "control_string" for h in oracle.hazards)
    trained = [oracle.text[a:b] for (a, b), e in zip(oracle.offsets, oracle.expected) if e is Expect.TRAIN]
    assert trained == ["a", "<|im_end|>", "b", "<|im_end|>"]


def test_qwen3_history_rewrite_is_located_and_reported(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen3")
    messages = [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1", "reasoning_content": "r1"},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2", "reasoning_content": "r2"},
    ]
    oracle = build_oracle(tokenizer, messages)
    assert spans(oracle) == ["a1<|im_end|>", "<think>\nr2\n</think>\n\na2<|im_end|>"]
    assert [h.message_index for h in oracle.hazards if h.kind == "history_rewrite"] == [1]


def test_empty_turns_are_not_confused_with_later_ones(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen3")
    messages = [
        {"role": "user", "content": ""},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0001", "type": "function", "function": {"name": "get_weather", "arguments": {}}}]},
        {"role": "tool", "tool_call_id": "call_0001", "name": "get_weather", "content": ""},
        {"role": "assistant", "content": ""},
    ]
    oracle = build_oracle(tokenizer, messages, TOOLS)
    assert spans(oracle) == [
        '<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call><|im_end|>',
        "<think>\n\n</think>\n\n<|im_end|>",
    ]


def test_gpt_oss_rewritten_stop_token(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("gpt-oss-20b")
    messages = [{"role": "user", "content": ""}, {"role": "assistant", "content": ""},
                {"role": "user", "content": ""}, {"role": "assistant", "content": ""}]
    oracle = build_oracle(tokenizer, messages)
    assert spans(oracle) == ["<|channel|>final<|message|><|end|>", "<|channel|>final<|message|><|return|>"]


# ---------------------------------------------------------------------------------------------------------------
# Properties of the oracle itself, on every real template, over generated conversations.
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(KNOWN_HUB_IDS))
@given(data=st.data())
def test_oracle_spans_are_ordered_and_end_at_a_stop_token(name, load_tokenizer_or_skip, data):
    tokenizer = load_tokenizer_or_skip(name)
    conversation = data.draw(conversations_for(tokenizer))
    messages, tools = conversation["messages"], conversation["tools"]
    try:
        oracle = build_oracle(tokenizer, messages, tools)
    except OracleError as error:  # must stay rare; surfaced so a regression is visible
        pytest.fail(f"oracle could not judge a conversation the template renders: {error}")
    assert [t.message_index for t in oracle.turns] == [k for k, m in enumerate(messages) if m["role"] == "assistant"]
    stops = _stop_strings(tokenizer)
    previous_end = 0
    for turn in oracle.turns:
        assert previous_end <= turn.header_ws_start <= turn.start <= turn.stop_start <= turn.end <= turn.glue_end
        assert oracle.text[turn.stop_start : turn.end] in stops
        previous_end = turn.glue_end
        content = (messages[turn.message_index].get("content") or "").strip()
        if content and not any(tag in content for tag in ("<think>", "</think>")) and not any(s in content for s in stops):
            assert content in oracle.text[turn.start : turn.end]
    assert Expect.TRAIN in oracle.expected
