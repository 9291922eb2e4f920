"""The reference masker on templates that render a turn, or the history before it, otherwise than the turn's own
prefix render (harness/testing/rewritten.py): it must agree with the oracle where prefix renders alone are wrong."""

from __future__ import annotations

import pytest

from harness.adapters.transformers import frozen_template_date
from harness.masking.check import judge
from harness.testing import reference

CALL = {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City."}}}}}]
CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Oslo?"},
    {"role": "assistant", "content": "", "reasoning_content": "Look it up.", "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call12345", "content": "sunny"},
    {"role": "assistant", "content": "Sunny.", "reasoning_content": "It says sunny."},
    {"role": "user", "content": "Thanks"},
    {"role": "assistant", "content": "You're welcome.", "reasoning_content": "Polite."},
]


@pytest.mark.parametrize("name, stop", [
    ("qwen3.5", "<|im_end|>"),  # drops the reasoning of turns before the last user message
    ("mistral-small-3.2-24b-instruct", "</s>"),  # writes the system prompt into the last user message
    ("command-r-plus-tool-use", "<|END_OF_TURN_TOKEN|>"),  # appends an instruction turn after the last message
    ("glm-4.6", ("<|user|>", "<|observation|>")),  # drops reasoning; a turn's stop is written by the next message
])
def test_the_reference_masker_finds_turns_the_whole_rendering_rewrites(name, stop, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(name)
    with frozen_template_date():
        whole = reference.render(tokenizer, CONVERSATION, TOOLS)
        prefix = reference.render(tokenizer, CONVERSATION[:3], TOOLS)
        assert not whole.startswith(prefix), "the template no longer rewrites this history: pick another"
        assert judge(reference.correct_masker(tokenizer, stop), tokenizer, CONVERSATION, TOOLS)[1] == []
