"""The reference masker on templates that render a turn, or the history before it, otherwise than the turn's own
prefix render (harness/testing/rewritten.py): it must agree with the oracle where prefix renders alone are wrong."""

from __future__ import annotations

import pytest

from harness.adapters.transformers import frozen_template_date
from harness.assets.template_corpus import corpus_templates
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


@pytest.mark.parametrize("name, content", [
    # The prompt is "<|im_start|>assistant\n<think>\n</think>"; the rendering writes the content after "assistant\n":
    # the header the content spells is not the turn's (the turn had started after it).
    ("qwq-32b", "<think>\nok <|im_start|>assistant\n<think>\n</think> done"),
    # Nemotron Nano v2 keeps what lies between the first two "</think>" of an earlier turn, which no mark reaches.
    ("nemotron-nano-v2", "<answer></think> kept\n</think> dropped"),
], ids=["qwq-32b", "nemotron-nano-v2"])
def test_the_reference_masker_reads_no_header_or_turn_in_a_content(name, content, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(name)
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": content},
                {"role": "user", "content": "and?"}, {"role": "assistant", "content": "Done."}]
    with frozen_template_date():
        for conversation in (messages[:2], messages):
            masker = reference.correct_masker(tokenizer, corpus_templates()[name].stops)
            assert judge(masker, tokenizer, conversation)[1] == [], conversation


def test_a_turn_the_template_writes_no_stop_for_ends_before_the_next_message(load_tokenizer_or_skip):
    """Seed-OSS writes no <seed:eos> after an answer that is reasoning alone: the next stop string is the user's, so
    the turn ends with its text (the reference masker had trained the user message through its <seed:eos>)."""
    tokenizer = load_tokenizer_or_skip("seed-oss-36b-instruct")
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "reasoning_content": "Think."},
                {"role": "user", "content": "and?"}, {"role": "assistant", "content": "Done."}]
    with frozen_template_date():
        masker = reference.correct_masker(tokenizer, corpus_templates()["seed-oss-36b-instruct"].stops)
        assert judge(masker, tokenizer, messages)[1] == []


def test_text_appended_after_the_last_message_starts_after_its_text(load_tokenizer_or_skip):
    """Bielik leaves out the <|im_end|> after the last tool output once an assistant turn follows (with a system
    message first): an empty output ends "<|function_output|><|im_end|>\\n" and the next call ">…</tool_call><|im_end|>\\n";
    their shared "><|im_end|>\\n" is not text appended after every last message (it starts inside the output's
    header), so the call is trained through its stop."""
    tokenizer = load_tokenizer_or_skip("bielik-11b-v3-instruct")
    call = lambda n, city: {"id": f"call_{n}", "type": "function",  # noqa: E731
                            "function": {"name": "get_weather", "arguments": {"city": city}}}
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Oslo, then Rome?"},
                {"role": "assistant", "content": "", "tool_calls": [call(1, "Oslo")]},
                {"role": "tool", "tool_call_id": "call_1", "content": ""},
                {"role": "assistant", "content": "", "tool_calls": [call(2, "Rome")]},
                {"role": "tool", "tool_call_id": "call_2", "content": "rain"}, {"role": "assistant", "content": "Rain."}]
    with frozen_template_date():
        masker = reference.correct_masker(tokenizer, corpus_templates()["bielik-11b-v3-instruct"].stops)
        assert judge(masker, tokenizer, messages, TOOLS)[1] == []
