"""Whole conversations (harness/strategies/chat.py): valid, renderable with the template they were adapted to,
ending with an assistant answer, within the capabilities given, and shrinking to short examples."""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis.errors import InvalidArgument

from harness.adapters.transformers import render
from harness.masking.conversation import validate_conversation
from harness.masking.template_probe import TemplateCapabilities
from harness.strategies import conversations, conversations_for

# Reasoning field + parallel calls; single calls only; no tools at all; reasoning + one call per turn.
TOKENIZERS = ["qwen3", "llama-3.2-instruct", "phi-3.5-mini-instruct", "gpt-oss-20b"]


@pytest.mark.parametrize("name", TOKENIZERS)
def test_conversations_validate_and_render(load_tokenizer_or_skip, name):
    tokenizer = load_tokenizer_or_skip(name)

    @given(conversations_for(tokenizer))
    def check(conversation):
        messages, tools = conversation["messages"], conversation["tools"]
        validate_conversation(messages, tools)
        assert messages[-1]["role"] == "assistant" and messages[-1].get("content") is not None
        assert messages[0]["role"] in ("system", "user")
        render(tokenizer, messages, tools)

    check()


def test_unadapted_conversations_are_valid():
    @given(conversations(max_turns=2))
    def check(conversation):
        validate_conversation(conversation["messages"], conversation["tools"])
        assert conversation["messages"][-1]["role"] == "assistant"

    check()


def test_capabilities_are_respected():
    limited = TemplateCapabilities(system_role=False, tools=False, parallel_calls=False, reasoning_field=None)

    @given(conversations(capabilities=limited))
    def check(conversation):
        roles = [m["role"] for m in conversation["messages"]]
        assert conversation["tools"] is None
        assert roles[0] == "user" and set(roles) <= {"user", "assistant"}
        assert all(a != b for a, b in zip(roles, roles[1:])), "user and assistant alternate"
        assert all("reasoning_content" not in m for m in conversation["messages"])

    check()


def test_tool_calls_are_answered_in_order():
    @given(conversations(capabilities=TemplateCapabilities()))
    def check(conversation):
        pending = []
        for message in conversation["messages"]:
            if message["role"] == "assistant" and message.get("tool_calls"):
                assert not pending
                pending = [(c["id"], c["function"]["name"]) for c in message["tool_calls"]]
                assert all(isinstance(c["function"]["arguments"], dict) for c in message["tool_calls"])
            elif message["role"] == "tool":
                assert (message["tool_call_id"], message["name"]) == pending.pop(0)
        assert not pending

    check()


def _has_tool_call(conversation) -> bool:
    return any(m.get("tool_calls") for m in conversation["messages"])


def test_minimal_tool_conversation_is_short():
    minimal = find(conversations(), _has_tool_call, settings=settings(database=None, max_examples=100))
    assert [m["role"] for m in minimal["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert minimal["messages"][0]["content"] == ""
    assert len(minimal["tools"]) == 1


def test_conversations_for_rejects_capabilities(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("phi-3.5-mini-instruct")
    with pytest.raises(InvalidArgument):
        conversations_for(tokenizer, capabilities=TemplateCapabilities())


def test_answers_are_never_empty_where_the_template_raises_on_them():
    @settings(database=None, max_examples=40)
    @given(conversations(capabilities=TemplateCapabilities(empty_answers=False)))
    def check(conversation):
        for message in conversation["messages"]:
            if message["role"] == "assistant" and not message.get("tool_calls"):
                assert message["content"], conversation

    check()


def test_user_texts_never_repeat_where_the_template_compares_turns():
    multi_turn = []

    @settings(database=None, max_examples=40)
    @given(conversations(capabilities=TemplateCapabilities(repeated_user_texts=False)))
    def check(conversation):
        users = [m["content"] for m in conversation["messages"] if m["role"] == "user"]
        assert len(users) == len(set(users)), users
        multi_turn.append(len(users) > 1)

    check()
    assert any(multi_turn), "multi-turn conversations drawn (unadapted, they often repeat the empty user text)"
