"""LlamaFactory 0.9.5's SFT data path (``OpenAIDatasetConverter`` → its template →
``SupervisedDatasetProcessor``) on fixed conversations, in its own environment (nightly tier). Each confirmed defect
is a strict xfail naming its tokens and its finding: docs/findings/<slug>.md for a report, else the entry in
harness/adapters/llamafactory/findings.toml (known upstream, convention)."""

from __future__ import annotations

import pytest

from harness.masking.check import judge
from tests.conformance.trainer_outputs import outputs_or_skip, replaying

pytestmark = pytest.mark.slow

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]


def _tool_call(content):
    return {"messages": [{"role": "user", "content": "Weather in Paris?"},
                         {"role": "assistant", "content": content, "tool_calls": [
                             {"id": "call_1", "type": "function",
                              "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                         {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
                         {"role": "assistant", "content": "Sunny."}], "tools": TOOLS}


TOOL_CALL = _tool_call(None)
PARALLEL_RESULTS = {"messages": [
    {"role": "user", "content": "Weather in Paris and Lyon?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Lyon"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "name": "get_weather", "content": "rainy"},
    {"role": "assistant", "content": "Sunny in Paris, rainy in Lyon."}], "tools": TOOLS}
TEXT_AND_TOOL_CALL = _tool_call("Let me check.")
NO_SYSTEM = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}], "tools": None}
SYSTEM = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                       {"role": "assistant", "content": "Hello."}], "tools": None}
SYSTEM_AND_TOOLS = {"messages": SYSTEM["messages"], "tools": TOOLS}

CONVERSATIONS = [TOOL_CALL, TEXT_AND_TOOL_CALL, NO_SYSTEM, SYSTEM, SYSTEM_AND_TOOLS, PARALLEL_RESULTS]
_OUTPUTS: dict[tuple, list[dict]] = {}


def _output(template, conversation, **options) -> dict:
    key = (template, tuple(sorted(options.items())))
    if key not in _OUTPUTS:
        _OUTPUTS[key] = outputs_or_skip("llamafactory", template, CONVERSATIONS, **options)
    return _OUTPUTS[key][CONVERSATIONS.index(conversation)]


def _failures(template, conversation, load_tokenizer_or_skip, **options) -> list[str]:
    from harness.adapters.llamafactory import policy_for

    tokenizer = load_tokenizer_or_skip(template)
    output = _output(template, conversation, **options)
    _, failures = judge(replaying(output), tokenizer, conversation["messages"], conversation["tools"],
                        policy=policy_for(bool(options.get("mask_history"))))
    return sorted(f.key for f in failures)


@pytest.mark.parametrize("mask_history", [False, True])
def test_a_tool_call_conversation_trains_what_llamafactory_documents_on_qwen(mask_history, load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", TOOL_CALL, load_tokenizer_or_skip, mask_history=mask_history) == []


def test_the_newline_after_the_stop_token_is_trained_a_convention_the_policy_accepts(load_tokenizer_or_skip):
    """Its Qwen template's assistant slot is '{{content}}<|im_end|>\\n': the '\\n' 198 is trained (as in trl's
    training templates); ``policy_for`` accepts it rather than reporting it."""
    from harness.adapters.llamafactory import policy_for

    output = _output("qwen2.5-instruct", TOOL_CALL)
    trained = [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100]
    assert trained[-2:] == [151645, 198]
    assert policy_for(False).train_glue_after_stop is None


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "LlamaFactory 0.9.5 OpenAIDatasetConverter sets the system prompt of a row without system and tools to "
    "'detailed thinking off': on Qwen2.5 the ids after '<|im_start|>system\\n' are 'd' 67, 'etailed' 10111, "
    "' thinking' 7274, ' off' 1007 where the template writes its default 'You' 2610, ' are' 525, ' Q' 1207, 'wen' "
    "16948 ...; every such row is trained under a system prompt the model is never served. "
    "docs/findings/llamafactory-openai-converter-rewrites-system-prompt.md"))
def test_a_row_without_a_system_prompt_keeps_the_templates_default(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", NO_SYSTEM, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "LlamaFactory 0.9.5 OpenAIDatasetConverter appends '\\ndetailed thinking off' to a given system prompt (no "
    "tools): 'Be brief.' is trained as 'Be' 3430, ' brief' 9814, '.\\n' 624, 'd' 67, 'etailed' 10111, ' thinking' "
    "7274, ' off' 1007 where the template renders '.' 13, <|im_end|> 151645. "
    "docs/findings/llamafactory-openai-converter-rewrites-system-prompt.md"))
def test_a_system_prompt_is_trained_as_written(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", SYSTEM, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "LlamaFactory 0.9.5 OpenAIDatasetConverter appends '\\n' to a system prompt when the row has tools: Qwen2.5 "
    "'Be brief.' then '# Tools' is '.\\n\\n\\n' 4192 where the template renders '.\\n\\n' 382. "
    "docs/findings/llamafactory-openai-converter-rewrites-system-prompt.md"))
def test_a_system_prompt_with_tools_is_trained_as_written(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", SYSTEM_AND_TOOLS, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "LlamaFactory 0.9.5 OpenAIDatasetConverter replaces an assistant message with tool_calls by the JSON of its "
    "calls, dropping its text: on Qwen2.5 'Let' 10061, ' me' 752, ' check' 1779, '.\\n' 624 before <tool_call> 151657 "
    "are neither in the ids nor trained. "
    "docs/findings/llamafactory-openai-converter-drops-text-next-to-tool-calls.md"))
def test_assistant_text_next_to_a_tool_call_is_trained(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", TEXT_AND_TOOL_CALL, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "LlamaFactory 0.9.5's 'llama3' template is not Llama-3.1's chat template: with tools the system turn has no "
    "'Environment: ipython' (13013 ...), the tool schemas go into the system turn (the template's "
    "tools_in_user_message=False variant, not its default), and the tool result is written raw ('sunny') where the "
    "template writes JSON ('\"sunny\"'); without tools the "
    "'Cutting Knowledge Date' 38766 ... header is missing: the model is trained on text it is never served. Known "
    "upstream (hiyouga/LlamaFactory#6889): harness/adapters/llamafactory/findings.toml "
    "llamafactory-llama3-template-differs-from-llama-3-1"))
def test_llama_rows_are_trained_as_llamas_template_renders_them(load_tokenizer_or_skip):
    assert _failures("llama-3.1-instruct", TOOL_CALL, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "LlamaFactory 0.9.5 OpenAIDatasetConverter joins consecutive tool results with Qwen's separator whatever the "
    "template: the llama3 ipython turn holds 's' 82, 'unny' 28397, '\\n' 198, '</' 524, 'tool' 14506, '_response' "
    "9852, '>\\n' 397, '<' 27, 'tool' 14506, '_response' 9852, '>\\n' 397, 'rain' 30193 'y' 88. "
    "docs/findings/llamafactory-openai-converter-joins-tool-results-with-qwen-tags.md"))
def test_consecutive_tool_results_carry_no_qwen_tags_on_llama(load_tokenizer_or_skip):
    llama = load_tokenizer_or_skip("llama-3.1-instruct")
    assert "tool_response>" not in llama.decode(_output("llama-3.1-instruct", PARALLEL_RESULTS)["input_ids"])


def test_consecutive_tool_results_are_one_qwen_observation_as_qwen_renders_them(load_tokenizer_or_skip):
    """On Qwen the joined separator is the template's own: the tool turn is what Qwen2.5 renders."""
    qwen = load_tokenizer_or_skip("qwen2.5-instruct")
    text = qwen.decode(_output("qwen2.5-instruct", PARALLEL_RESULTS)["input_ids"])
    assert "<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrainy\n</tool_response>" in text


def test_the_documented_sharegpt_formatting_keeps_the_system_prompt_as_given(load_tokenizer_or_skip):
    """data/README's formatting for OpenAI-style data: no 'detailed thinking off', the template's default system."""
    assert _failures("qwen2.5-instruct", NO_SYSTEM, load_tokenizer_or_skip, formatting="sharegpt") == []
    assert _failures("qwen2.5-instruct", SYSTEM, load_tokenizer_or_skip, formatting="sharegpt") == []


def test_the_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    """The strict xfails above fail for their own reason, not another."""
    text_differs = ["input_ids_match_rendering[text differs]"]
    for template, conversation in (("qwen2.5-instruct", NO_SYSTEM), ("qwen2.5-instruct", SYSTEM),
                                   ("qwen2.5-instruct", SYSTEM_AND_TOOLS), ("qwen2.5-instruct", TEXT_AND_TOOL_CALL),
                                   ("llama-3.1-instruct", TOOL_CALL)):
        assert _failures(template, conversation, load_tokenizer_or_skip) == text_differs
    qwen = load_tokenizer_or_skip("qwen2.5-instruct")
    assert "detailed thinking off" in qwen.decode(_output("qwen2.5-instruct", NO_SYSTEM)["input_ids"])
    assert "Be brief.\ndetailed thinking off<|im_end|>" in qwen.decode(_output("qwen2.5-instruct", SYSTEM)["input_ids"])
    assert "Let me check." not in qwen.decode(_output("qwen2.5-instruct", TEXT_AND_TOOL_CALL)["input_ids"])
    llama = load_tokenizer_or_skip("llama-3.1-instruct")
    assert "Environment: ipython" not in llama.decode(_output("llama-3.1-instruct", TOOL_CALL)["input_ids"])
