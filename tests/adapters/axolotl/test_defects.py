"""axolotl 0.21.0's chat-template data path (``chat_template.load(...).tokenize_prompt``) on fixed conversations, in
its own environment (nightly tier: the environment is built once, cached), under the defaults and the configurations
axolotl documents (``harness.adapters.axolotl.CONFIGURATIONS``). Each confirmed defect is a strict xfail naming its
tokens and its report (docs/findings/<slug>.md); each documented convention is asserted as axolotl documents it."""

from __future__ import annotations

import json

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
# An empty answer inside a conversation that ends with a normal one: the row keeps trained tokens, so axolotl's
# drop_no_trainable_tokens keeps it (the reproduction's conversation).
EMPTY_THEN_ANSWER = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""},
                                  {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye."}],
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
CONVERSATIONS = [PLAIN, NULL_ARGUMENT, EMPTY_ANSWER, EMPTY_THEN_ANSWER, TOOL_CALL, SHORT]

GPT_OSS_EXAMPLES = {"eot_tokens": ["<|end|>"], "field_thinking": "thinking", "template_thinking_key": "thinking"}
PHI_EOT = {"eot_tokens": ["<|end|>"]}
LAST_MESSAGE = {"roles_to_train": None, "train_on_eos": None}
AS_JSON = {"tool_arguments_as_json": True}
_OUTPUTS: dict[tuple[str, str], list[dict]] = {}


def _output(template, conversation, options):
    """axolotl's output on ``conversation`` (all of this module's conversations run in one call to its environment
    per template and options)."""
    key = (template, json.dumps(options, sort_keys=True))
    if key not in _OUTPUTS:
        _OUTPUTS[key] = outputs_or_skip("axolotl", template, CONVERSATIONS, **options)
    return _OUTPUTS[key][CONVERSATIONS.index(conversation)]


def _failures(template, conversation, load_tokenizer_or_skip, **options):
    """The failure classes of axolotl's masker with ``options`` on ``conversation``, judged under the policy the
    adapter declares for those options (what axolotl documents)."""
    from harness.adapters.axolotl import policy_for

    tokenizer = load_tokenizer_or_skip(template)
    output = _output(template, conversation, options)
    _, failures = judge(replaying(output), tokenizer, conversation["messages"], conversation["tools"],
                        policy=policy_for(options))
    return [f.key for f in failures]


def _labels(template, conversation, load_tokenizer_or_skip, **options):
    """(token ids, labels) of axolotl's row, each token decoded."""
    tokenizer = load_tokenizer_or_skip(template)
    output = _output(template, conversation, options)
    return [(tokenizer.decode([t]), t, label) for t, label in zip(output["input_ids"], output["labels"])]


# The defaults on ordinary conversations.

@pytest.mark.parametrize("template", TEMPLATES)
def test_a_plain_multi_turn_conversation_trains_exactly_the_assistant_output(template, load_tokenizer_or_skip):
    assert _failures(template, PLAIN, load_tokenizer_or_skip) == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_tool_call_conversation_trains_exactly_the_assistant_output(template, load_tokenizer_or_skip):
    assert _failures(template, TOOL_CALL, load_tokenizer_or_skip) == []


# docs/findings/axolotl-empty-assistant-turn-end-token-untrained.md

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0: find_turn returns (-1, -1) for an empty answer and the EOT/EOS search then starts at -1 "
    "(range(-1, n): the last token, then from 0), so the empty answer's own end token stays -100: Qwen2.5 "
    "<|im_end|> (151645) at index 30, Llama-3.1 <|eot_id|> (128009) at index 36 of EMPTY_THEN_ANSWER "
    "(docs/findings/axolotl-empty-assistant-turn-end-token-untrained.md)"))
@pytest.mark.parametrize("template", TEMPLATES)
def test_an_empty_answer_trains_its_end_token(template, load_tokenizer_or_skip):
    assert _failures(template, EMPTY_THEN_ANSWER, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 with Phi-3.5's documented eot_tokens ['<|end|>']: the search for the empty answer's end token "
    "from -1 lands on the user's <|end|> (32007) at index 2, within 3 tokens of -1, and trains it; the empty "
    "answer's <|end|> (32007) at index 4 stays -100 "
    "(docs/findings/axolotl-empty-assistant-turn-end-token-untrained.md)"))
def test_an_empty_answer_under_phi_s_eot_tokens_trains_its_own_end_token(load_tokenizer_or_skip):
    assert _failures("phi-3.5-mini-instruct", EMPTY_THEN_ANSWER, load_tokenizer_or_skip, **PHI_EOT) == []


def test_the_empty_answer_failures_are_the_tokens_the_xfails_name(load_tokenizer_or_skip):
    """The strict xfails above fail for their own reason, not another."""
    assert sorted(_failures("qwen2.5-instruct", EMPTY_ANSWER, load_tokenizer_or_skip)) == [
        "some_token_trained", "stop_token_trained[stop token]"]
    assert _failures("qwen2.5-instruct", EMPTY_THEN_ANSWER, load_tokenizer_or_skip) == [
        "stop_token_trained[stop token]"]
    assert _labels("qwen2.5-instruct", EMPTY_THEN_ANSWER, load_tokenizer_or_skip)[30] == ("<|im_end|>", 151645, -100)
    assert _labels("llama-3.1-instruct", EMPTY_THEN_ANSWER, load_tokenizer_or_skip)[36] == (
        "<|eot_id|>", 128009, -100)
    phi = _labels("phi-3.5-mini-instruct", EMPTY_THEN_ANSWER, load_tokenizer_or_skip, **PHI_EOT)
    assert phi[2] == ("<|end|>", 32007, 32007) and phi[4] == ("<|end|>", 32007, -100)


# docs/findings/axolotl-gpt-oss-tool-calls-raise-in-find-turn.md

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 _build_dummy_turn renders each turn's placeholder without its tool_calls; gpt-oss's template "
    "then raises 'Message has tool role, but there was no previous assistant message with a tool call!', so "
    "tokenize_prompt fails on every gpt-oss row with a tool call and its result, under the examples' eot_tokens "
    "['<|end|>'] too (docs/findings/axolotl-gpt-oss-tool-calls-raise-in-find-turn.md)"))
def test_a_gpt_oss_tool_call_conversation_can_be_tokenized(load_tokenizer_or_skip):
    assert _failures("gpt-oss-20b", TOOL_CALL, load_tokenizer_or_skip, **GPT_OSS_EXAMPLES) == []


# docs/findings/axolotl-template-text-before-content-untrained.md

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 trains only the span its placeholder diff finds (the content): gpt-oss's '<|channel|>' "
    "(200005) 'final' (17196) '<|message|>' (200008), which the model generates after '<|start|>assistant', are "
    "never trained (docs/findings/axolotl-template-text-before-content-untrained.md)"))
def test_gpt_oss_trains_the_channel_the_model_generates(load_tokenizer_or_skip):
    assert _failures("gpt-oss-20b", SHORT, load_tokenizer_or_skip, **GPT_OSS_EXAMPLES) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0 trains only the span its placeholder diff finds: Qwen3's final answer starts with the empty "
    "think block the template writes, '<think>' (151667) '\\n\\n' (271) '</think>' (151668) '\\n\\n' (271), which "
    "the placeholder gets too, so it is never trained "
    "(docs/findings/axolotl-template-text-before-content-untrained.md)"))
def test_qwen3_trains_the_empty_think_block_of_its_answer(load_tokenizer_or_skip):
    assert _failures("qwen3", SHORT, load_tokenizer_or_skip) == []


def test_the_template_specific_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    assert _failures("gpt-oss-20b", TOOL_CALL, load_tokenizer_or_skip, **GPT_OSS_EXAMPLES) == [
        "masker_raised[RuntimeError]"]
    assert _output("gpt-oss-20b", TOOL_CALL, GPT_OSS_EXAMPLES)["error"] == (
        "TemplateError: Message has tool role, but there was no previous assistant message with a tool call!")
    assert _failures("gpt-oss-20b", SHORT, load_tokenizer_or_skip, **GPT_OSS_EXAMPLES) == [
        "assistant_turns_fully_trained[answer turn, part]"]
    rows = _labels("gpt-oss-20b", SHORT, load_tokenizer_or_skip, **GPT_OSS_EXAMPLES)  # the date sets the offset
    answer = [token for token, _, _ in rows].index("Hello")
    assert [(token, label) for token, _, label in rows[answer - 5:answer + 1]] == [
        ("<|start|>", -100), ("assistant", -100), ("<|channel|>", -100), ("final", -100), ("<|message|>", -100),
        ("Hello", 13225)]
    assert _failures("qwen3", SHORT, load_tokenizer_or_skip) == ["assistant_turns_fully_trained[answer turn, part]"]


# docs/findings/axolotl-last-message-mode-drops-the-tools.md and
# docs/findings/axolotl-last-message-mode-overwrites-the-answer-with-the-generation-prompt.md

def test_the_last_message_mode_trains_the_last_answer_as_documented(load_tokenizer_or_skip):
    """conversation.qmd "Training on last message": only the final answer (and what the template writes after it)."""
    assert _failures("qwen2.5-instruct", PLAIN, load_tokenizer_or_skip, **LAST_MESSAGE) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0's last-message branch calls build_prompt without tools=, so the tool definitions the template "
    "writes (Qwen2.5: '# Tools ... <tools>...</tools>' in the system turn; Llama-3.1: the JSON function list) are "
    "missing from the trained ids (docs/findings/axolotl-last-message-mode-drops-the-tools.md)"))
@pytest.mark.parametrize("template", TEMPLATES)
def test_the_last_message_mode_renders_the_tools(template, load_tokenizer_or_skip):
    assert _failures(template, TOOL_CALL, load_tokenizer_or_skip, **LAST_MESSAGE) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "axolotl 0.21.0's last-message branch splices prompt_ids + render(turns)[len(prompt_ids):]; DeepSeek-R1's "
    "generation prompt ends '<think>' (151648) '\\n' (198), absent from the rendered answer, so those two ids "
    "overwrite the answer's first two (docs/findings/"
    "axolotl-last-message-mode-overwrites-the-answer-with-the-generation-prompt.md)"))
def test_the_last_message_mode_keeps_deepseek_r1_s_answer(load_tokenizer_or_skip):
    assert _failures("deepseek-r1-distill-qwen-1.5b", PLAIN, load_tokenizer_or_skip, **LAST_MESSAGE) == []


def test_the_last_message_mode_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", TOOL_CALL, load_tokenizer_or_skip, **LAST_MESSAGE) == [
        "input_ids_match_rendering[text differs]"]
    assert _failures("deepseek-r1-distill-qwen-1.5b", PLAIN, load_tokenizer_or_skip, **LAST_MESSAGE) == [
        "input_ids_match_rendering[text differs]"]
    rows = _labels("deepseek-r1-distill-qwen-1.5b", PLAIN, load_tokenizer_or_skip, **LAST_MESSAGE)
    assert [(token, label) for token, _, label in rows[-5:]] == [
        ("<｜Assistant｜>", -100), ("<think>", -100), ("\n", -100), (".", 13), ("<｜end▁of▁sentence｜>", 151643)]


# Conventions: what axolotl documents, asserted as documented (index lines in findings.toml, no report).

@pytest.mark.parametrize("template", TEMPLATES)
def test_dict_tool_arguments_lose_their_nulls_as_axolotl_2909_does_on_purpose(template, load_tokenizer_or_skip):
    """remove_none_values strips the nulls datasets' schema merging adds (axolotl-ai-cloud/axolotl#2909), and with
    them a null the data means: the ids differ from the rendering there and nowhere else."""
    assert _failures(template, NULL_ARGUMENT, load_tokenizer_or_skip) == ["input_ids_match_rendering[text differs]"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_tool_arguments_stored_as_json_strings_keep_their_nulls(template, load_tokenizer_or_skip):
    """conversation.qmd "Using tool use": arguments saved as JSON strings are parsed after remove_none_values."""
    assert _failures(template, NULL_ARGUMENT, load_tokenizer_or_skip, **AS_JSON) == []


def test_phi_under_the_default_eot_tokens_leaves_each_end_untrained(load_tokenizer_or_skip):
    """eot_tokens defaults to the EOS, which Phi-3.5 writes only after the last message: each answer's <|end|> is
    untrained, the closing <|endoftext|> trained (documented: examples/phi/lora-3.5.yaml sets eot_tokens)."""
    assert _failures("phi-3.5-mini-instruct", PLAIN, load_tokenizer_or_skip) == ["stop_token_trained[stop token]"]
    rows = _labels("phi-3.5-mini-instruct", PLAIN, load_tokenizer_or_skip)
    assert [(token, label) for token, _, label in rows[-2:]] == [("<|end|>", -100), ("<|endoftext|>", 32000)]


def test_phi_with_the_documented_eot_tokens_trains_each_end(load_tokenizer_or_skip):
    assert _failures("phi-3.5-mini-instruct", PLAIN, load_tokenizer_or_skip, **PHI_EOT) == []
