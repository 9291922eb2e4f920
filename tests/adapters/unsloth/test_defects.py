"""unsloth's response-only masking (``unsloth_zoo.dataset_utils.train_on_responses_only(..., return_function=True)``,
markers detected from the template) on fixed conversations, in its own environment (nightly tier). Each confirmed
defect is a strict xfail naming its tokens and its report (docs/findings/unsloth-*.md; index:
harness/adapters/unsloth/findings.toml)."""

from __future__ import annotations

import pytest

from harness.masking.check import judge
from tests.conformance.trainer_outputs import outputs_or_skip, replaying

pytestmark = pytest.mark.slow

TEMPLATES = ["qwen2.5-instruct", "llama-3.1-instruct"]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]
PLAIN = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                      {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"},
                      {"role": "assistant", "content": "Bye."}], "tools": None}
TOOL_CALL = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                          {"role": "assistant", "content": "Let me check.", "tool_calls": [
                              {"id": "call_1", "type": "function",
                               "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                          {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
                          {"role": "assistant", "content": "Sunny."}], "tools": TOOLS}
NEWLINE_FIRST = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "\nHello."}],
                 "tools": None}
QUOTED_MARKER = {"messages": [{"role": "user", "content": "What does <|im_start|>assistant\n mean?"},
                              {"role": "assistant", "content": "A header."}], "tools": None}
QUOTED_END_OF_TURN = {"messages": [{"role": "user", "content": "How do I end a turn?"},
                                   {"role": "assistant", "content": "Write <|im_end|> at the end. Done."}],
                      "tools": None}

CONVERSATIONS = [PLAIN, TOOL_CALL, NEWLINE_FIRST, QUOTED_MARKER, QUOTED_END_OF_TURN]
NEWLINE_REPORT = "docs/findings/unsloth-answer-starting-with-newline-untrained.md"
CONTROL_TOKENS_REPORT = "docs/findings/unsloth-control-tokens-in-content-move-the-trained-span.md"
_OUTPUTS: dict[tuple, list[dict]] = {}


def _failures(template, conversation, load_tokenizer_or_skip, **options) -> list[str]:
    from harness.adapters.unsloth import policy_for

    tokenizer = load_tokenizer_or_skip(template)
    key = (template, tuple(sorted(options.items())))
    if key not in _OUTPUTS:
        _OUTPUTS[key] = outputs_or_skip("unsloth", template, CONVERSATIONS, **options)
    output = _OUTPUTS[key][CONVERSATIONS.index(conversation)]
    _, failures = judge(replaying(output), tokenizer, conversation["messages"], conversation["tools"],
                        policy=policy_for(bool(options.get("last_response_only"))))
    return sorted(f.key for f in failures)


@pytest.mark.parametrize("template", TEMPLATES)
def test_plain_and_tool_call_conversations_train_exactly_the_assistant_output(template, load_tokenizer_or_skip):
    assert _failures(template, PLAIN, load_tokenizer_or_skip) == []
    assert _failures(template, TOOL_CALL, load_tokenizer_or_skip) == []


def test_an_answer_starting_with_a_newline_is_trained_on_llama(load_tokenizer_or_skip):
    """Llama-3.1's template trims the content, so the marker's '\\n\\n' stays whole there."""
    assert _failures("llama-3.1-instruct", NEWLINE_FIRST, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "unsloth_zoo 2026.10.9 train_on_responses_only (defaults: force_match=True) matches the response marker "
    "'<|im_start|>assistant\\n' as ids [151644, 77091, 198]; on Qwen2.5 an answer starting with '\\n' merges the "
    "marker's '\\n' into '\\n\\n' 271, the marker is not found and the whole turn ('Hello' 9707, '.' 13, "
    f"<|im_end|> 151645) is left untrained, silently ({NEWLINE_REPORT})"))
def test_an_answer_starting_with_a_newline_is_trained_on_qwen(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", NEWLINE_FIRST, load_tokenizer_or_skip) == []


def test_force_match_false_trains_an_answer_starting_with_a_newline(load_tokenizer_or_skip):
    """The documented option the newline report names: with force_match=False the marker's '\\n' is optional and the
    turn is trained from the merged '\\n\\n' 271 on."""
    assert _failures("qwen2.5-instruct", NEWLINE_FIRST, load_tokenizer_or_skip, force_match=False) == []
    output = _OUTPUTS[("qwen2.5-instruct", (("force_match", False),))][CONVERSATIONS.index(NEWLINE_FIRST)]
    assert [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100] == [271, 9707, 13, 151645]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "unsloth_zoo 2026.10.9 train_on_responses_only finds the response marker inside a user message that quotes it "
    "('<|im_start|>assistant\\n' as text is tokenized to the same special ids): the user's ' mean' 3076, '?' 30 and "
    f"their <|im_end|> 151645 are trained ({CONTROL_TOKENS_REPORT})"))
def test_a_user_message_quoting_the_response_marker_is_not_trained(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", QUOTED_MARKER, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "unsloth_zoo 2026.10.9 train_on_responses_only closes a span at the first EOS id, also one the answer's content "
    "spells: after the quoted <|im_end|> 151645, ' at' 518 ' the' 279 ' end' 835 '.' 13 ' Done' 27357 '.' 13 and the "
    f"answer's own <|im_end|> 151645 are left untrained ({CONTROL_TOKENS_REPORT})"))
def test_an_answer_quoting_the_end_of_turn_token_is_trained_to_its_end(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", QUOTED_END_OF_TURN, load_tokenizer_or_skip) == []


def test_the_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    """The strict xfails above fail for their own reason, not another."""
    assert _failures("qwen2.5-instruct", NEWLINE_FIRST, load_tokenizer_or_skip) == [
        "assistant_turns_fully_trained[answer turn, entire]", "some_token_trained", "stop_token_trained[stop token]"]
    assert _failures("qwen2.5-instruct", QUOTED_MARKER, load_tokenizer_or_skip) == [
        "no_label_outside_assistant_output[another turn's stop]", "no_label_outside_assistant_output[user]"]
    assert _failures("qwen2.5-instruct", QUOTED_END_OF_TURN, load_tokenizer_or_skip) == [
        "assistant_turns_fully_trained[answer turn, part]", "stop_token_trained[stop token]"]
    outputs = _OUTPUTS[("qwen2.5-instruct", ())]
    output = outputs[CONVERSATIONS.index(NEWLINE_FIRST)]
    assert 271 in output["input_ids"] and set(output["labels"]) == {-100}
    output = outputs[CONVERSATIONS.index(QUOTED_MARKER)]
    assert [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100][:3] == [3076, 30, 151645]
    output = outputs[CONVERSATIONS.index(QUOTED_END_OF_TURN)]
    assert [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100] == [7985, 220, 151645]
