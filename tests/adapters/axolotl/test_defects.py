"""axolotl 0.21.0's chat-template data path (``chat_template.load(...).tokenize_prompt``) on fixed conversations, in
its own environment (nightly tier: the environment is built once, cached). Each confirmed defect is a strict xfail
naming its tokens; docs/findings/axolotl-*.md has the upstream reports."""

from __future__ import annotations

import pytest

from harness.masking.check import judge
from tests.conformance.trainer_outputs import outputs_or_skip, replaying

pytestmark = pytest.mark.slow

TEMPLATES = ["qwen2.5-instruct", "llama-3.1-instruct"]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
                                           "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}}]
NULL_ARGUMENT = {
    "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"a": None}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
        {"role": "assistant", "content": "Sunny."},
    ],
    "tools": TOOLS,
}
EMPTY_ANSWER = {"messages": [{"role": "user", "content": "Say nothing."}, {"role": "assistant", "content": ""}],
                "tools": None}
PLAIN = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                      {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"},
                      {"role": "assistant", "content": "Bye."}], "tools": None}


TOOL_CALL = {
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"a": "Paris"}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
        {"role": "assistant", "content": "Sunny."},
    ],
    "tools": TOOLS,
}
SHORT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}], "tools": None}
CONVERSATIONS = [PLAIN, NULL_ARGUMENT, EMPTY_ANSWER, TOOL_CALL, SHORT]
_OUTPUTS: dict[str, list[dict]] = {}


def _failures(template, conversation, load_tokenizer_or_skip):
    """The failure classes of axolotl's default masker on ``conversation`` (all of this module's conversations run
    in one call to its environment per template)."""
    from harness.adapters.axolotl import policy_for

    tokenizer = load_tokenizer_or_skip(template)
    if template not in _OUTPUTS:
        _OUTPUTS[template] = outputs_or_skip("axolotl", template, CONVERSATIONS)
    output = _OUTPUTS[template][CONVERSATIONS.index(conversation)]
    _, failures = judge(replaying(output), tokenizer, conversation["messages"], conversation["tools"],
                        policy=policy_for({}))
    return [f.key for f in failures]


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_plain_multi_turn_conversation_trains_exactly_the_assistant_output(template, load_tokenizer_or_skip):
    assert _failures(template, PLAIN, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 tokenize_prompt -> remove_none_values deletes null values inside tool-call arguments: "
    "{\"a\": null} is tokenized as {} (Qwen2.5: ' {\"' 'a' '\":' ' null' becomes ' {}'; Llama-3.1: the same in its "
    "JSON call), so the trained ids are not the rendering the model is served"))
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_null_tool_argument_is_trained_as_rendered(template, load_tokenizer_or_skip):
    assert _failures(template, NULL_ARGUMENT, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 find_turn: an empty assistant turn's content span is empty, so the turn is skipped and its end "
    "token is never trained (Qwen2.5: <|im_end|> 151645 after '<|im_start|>assistant\\n'; Llama-3.1: <|eot_id|> "
    "128009 after the header's '\\n\\n'): the model never learns to stop without answering"))
@pytest.mark.parametrize("template", TEMPLATES)
def test_an_empty_assistant_turn_trains_its_stop_token(template, load_tokenizer_or_skip):
    assert _failures(template, EMPTY_ANSWER, load_tokenizer_or_skip) == []


def test_the_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    """The strict xfails above fail for their own reason, not another."""
    assert _failures("qwen2.5-instruct", NULL_ARGUMENT, load_tokenizer_or_skip) == [
        "input_ids_match_rendering[text differs]"]
    assert sorted(_failures("qwen2.5-instruct", EMPTY_ANSWER, load_tokenizer_or_skip)) == [
        "some_token_trained", "stop_token_trained[stop token]"]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 find_turn renders each turn's placeholder without its tool_calls; gpt-oss's template then "
    "raises 'Message has tool role, but there was no previous assistant message with a tool call!', so "
    "tokenize_prompt fails on every gpt-oss conversation with a tool call"))
def test_a_gpt_oss_tool_call_conversation_can_be_tokenized(load_tokenizer_or_skip):
    assert _failures("gpt-oss-20b", TOOL_CALL, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 trains only the span its placeholder diff finds (the content): template text the model "
    "generates before the content is never trained: gpt-oss's '<|channel|>' (200005) 'final' (17196) "
    "'<|message|>' (200008) in every answer"))
def test_gpt_oss_trains_the_channel_the_model_generates(load_tokenizer_or_skip):
    assert _failures("gpt-oss-20b", SHORT, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 trains only the span its placeholder diff finds: Qwen3's final answer starts with the empty "
    "think block the template writes, '<think>' (151667) '\\n\\n' (271) '</think>' (151668) '\\n\\n' (271), which "
    "the placeholder gets too, so it is never trained"))
def test_qwen3_trains_the_empty_think_block_of_its_answer(load_tokenizer_or_skip):
    assert _failures("qwen3", SHORT, load_tokenizer_or_skip) == []


def test_the_template_specific_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    assert _failures("gpt-oss-20b", TOOL_CALL, load_tokenizer_or_skip) == ["masker_raised[RuntimeError]"]
    assert _OUTPUTS["gpt-oss-20b"][CONVERSATIONS.index(TOOL_CALL)]["error"] == (
        "TemplateError: Message has tool role, but there was no previous assistant message with a tool call!")
    assert _failures("gpt-oss-20b", SHORT, load_tokenizer_or_skip) == [
        "assistant_turns_fully_trained[answer turn, part]"]
    assert _failures("qwen3", SHORT, load_tokenizer_or_skip) == ["assistant_turns_fully_trained[answer turn, part]"]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 defaults eot_tokens to the EOS token; Phi-3.5's EOS <|endoftext|> (32000) appears in its "
    "template only after the last message, so the check that warns when the EOS is missing from the template stays "
    "silent, every turn's <|end|> (32007) is left untrained and the conversation's closing <|endoftext|> is trained"))
def test_phi_trains_each_turn_s_end_token_under_the_defaults(load_tokenizer_or_skip):
    assert _failures("phi-3.5-mini-instruct", PLAIN, load_tokenizer_or_skip) == []


def test_phi_s_default_failures_are_the_end_tokens(load_tokenizer_or_skip):
    assert sorted(_failures("phi-3.5-mini-instruct", PLAIN, load_tokenizer_or_skip)) == [
        "no_label_outside_assistant_output[conversation end]", "stop_token_trained[stop token]"]
