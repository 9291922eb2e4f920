"""verl 0.9.1's multi-turn SFT data path (``MultiTurnSFTDataset.__getitem__``) on fixed conversations, in its own
environment (nightly tier: the environment is built once, cached). Each confirmed defect is a strict xfail naming its
tokens and its report (docs/findings/verl-*.md) or, for a behaviour already known upstream, the issue or pull request
(index: harness/adapters/verl/findings.toml)."""

from __future__ import annotations

import pytest

from harness.masking.check import judge
from tests.adapters.trainer_conversations import PARALLEL_RESULTS, PLAIN, TOOL_CALL, TOOLS
from tests.conformance.trainer_outputs import outputs_or_skip, replaying

pytestmark = pytest.mark.slow

TEMPLATES = ["qwen2.5-instruct", "llama-3.1-instruct"]
SYSTEM_AND_TOOLS = {"messages": [{"role": "system", "content": "Be brief."},
                                 {"role": "user", "content": "Weather in Paris?"},
                                 {"role": "assistant", "content": "Sunny."}], "tools": TOOLS}

SHORT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}],
         "tools": None}
ASSISTANT_FIRST = {"messages": [{"role": "assistant", "content": "Hi, how can I help?"},
                                {"role": "user", "content": "Weather in Paris?"},
                                {"role": "assistant", "content": "Sunny."}], "tools": None}

CONVERSATIONS = [PLAIN, TOOL_CALL, PARALLEL_RESULTS, SYSTEM_AND_TOOLS, SHORT, ASSISTANT_FIRST]
PARALLEL_UPSTREAM = "known upstream: https://github.com/verl-project/verl/pull/7322 (open)"
GENERATION_PROMPT_REPORT = "docs/findings/verl-generation-prompt-masked-by-count.md"
GEMMA_REPORT = "docs/findings/verl-dataset-cannot-be-built-for-gemma.md"
ASSISTANT_FIRST_REPORT = "docs/findings/verl-assistant-first-message-trains-the-system-prompt.md"
_OUTPUTS: dict[tuple, list[dict]] = {}


def _output(template: str, conversation: dict, **options) -> dict:
    """verl's masker output on ``conversation`` (all of this module's conversations run in one call to its
    environment per template and options)."""
    key = (template, tuple(sorted(options.items())))
    if key not in _OUTPUTS:
        _OUTPUTS[key] = outputs_or_skip("verl", template, CONVERSATIONS, **options)
    return _OUTPUTS[key][CONVERSATIONS.index(conversation)]


def _failures(template, conversation, load_tokenizer_or_skip, **options) -> list[str]:
    from harness.adapters.verl import policy_for

    tokenizer = load_tokenizer_or_skip(template)
    output = _output(template, conversation, **options)
    policy = policy_for(bool(options.get("ignore_input_ids_mismatch", False)))
    _, failures = judge(replaying(output), tokenizer, conversation["messages"], conversation["tools"], policy=policy)
    return [f.key for f in failures]


@pytest.mark.parametrize("template", TEMPLATES)
def test_plain_and_single_tool_call_conversations_train_exactly_the_assistant_output(template, load_tokenizer_or_skip):
    assert _failures(template, PLAIN, load_tokenizer_or_skip) == []
    assert _failures(template, TOOL_CALL, load_tokenizer_or_skip) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 MultiTurnSFTDataset renders each message alone, so on Qwen2.5 two consecutive tool results each get "
    "their own '<|im_start|>user' wrapper; its sanity_check then raises AssertionError and a row with parallel tool "
    f"calls cannot be trained at all ({PARALLEL_UPSTREAM})"))
def test_parallel_tool_results_can_be_trained(load_tokenizer_or_skip):
    assert "error" not in _output("qwen2.5-instruct", PARALLEL_RESULTS)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 with ignore_input_ids_mismatch=True (what its error message advises) trains parallel tool results "
    "as separate turns on Qwen2.5: after the first '</tool_response>' the ids are '>' 29, <|im_end|> 151645, '\\n' "
    "198, <|im_start|> 151644, 'user' 872 where the template renders '>\\n' 397, '<' 27, 'tool' 14172 (both "
    "results in one user turn): the training text is not the text the model sees at inference "
    f"({PARALLEL_UPSTREAM})"))
def test_parallel_tool_results_are_trained_as_rendered_when_the_mismatch_is_ignored(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", PARALLEL_RESULTS, load_tokenizer_or_skip, ignore_input_ids_mismatch=True) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 passes tools only with message 0: with a system message first, Llama-3.1's template cannot put the "
    "tools in a first user message, raises, and verl's fallback renders the system turn without them; its "
    "sanity_check then raises AssertionError, so no Llama-3.1 row with a system prompt and tools can be trained "
    f"(same cause as {PARALLEL_UPSTREAM}: an initial system message rendered alone)"))
def test_llama_with_a_system_prompt_and_tools_can_be_trained(load_tokenizer_or_skip):
    assert "error" not in _output("llama-3.1-instruct", SYSTEM_AND_TOOLS)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 with ignore_input_ids_mismatch=True on Llama-3.1 with a system prompt and tools: 25 ids instead of "
    "the rendering's 182, no <|begin_of_text|> 128000, no 'Environment: ipython' 13013.. header, no tool schema in "
    "the user turn: the model is trained on a prompt without its tools (same cause as "
    f"{PARALLEL_UPSTREAM})"))
def test_llama_with_a_system_prompt_and_tools_is_trained_as_rendered_when_the_mismatch_is_ignored(
        load_tokenizer_or_skip):
    assert _failures("llama-3.1-instruct", SYSTEM_AND_TOOLS, load_tokenizer_or_skip,
                     ignore_input_ids_mismatch=True) == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 _process_single_message masks the first len(generation_prompt) tokens of each assistant message; "
    "DeepSeek-R1-Distill's generation prompt is <｜Assistant｜> 151645, <think> 151648, '\\n' 198, but its template "
    "writes no '<think>\\n' before an answer in the conversation, so the answer's first two tokens 'Hello' 9707 "
    "' there' 1052 are not trained (an answer of two tokens or fewer trains nothing, not even "
    f"<｜end▁of▁sentence｜> 151643) ({GENERATION_PROMPT_REPORT})"))
def test_the_answer_is_fully_trained_on_deepseek_r1(load_tokenizer_or_skip):
    assert _failures("deepseek-r1-distill-qwen-1.5b", SHORT, load_tokenizer_or_skip) == []


NO_SYSTEM = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}], "tools": None}


def _gemma_outputs() -> list[dict]:
    """verl's outputs on Gemma-3 (``AssertionError`` naming the runner's failure where the dataset cannot be built)."""
    try:
        return outputs_or_skip("verl", "gemma-3-it", [NO_SYSTEM])
    except RuntimeError as error:
        raise AssertionError(f"verl's masker could not be built for gemma-3-it: {str(error)[-600:]}") from error


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 MultiTurnSFTDataset.__init__ -> extract_system_prompt_and_generation renders two consecutive user "
    "messages to find the system prompt; Gemma's templates raise 'Conversation roles must alternate "
    f"user/assistant/user/assistant/...', so no dataset can be built for Gemma-2/3 at all ({GEMMA_REPORT})"))
def test_the_dataset_can_be_built_for_gemma(load_tokenizer_or_skip):
    load_tokenizer_or_skip("gemma-3-it")
    assert "error" not in _gemma_outputs()[0]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "verl 0.9.1 _process_single_message keeps the template's own system block on message 0 and masks only "
    "len(generation_prompt) tokens of an assistant message: when the conversation opens with an assistant message, "
    "Qwen2.5's 'You' 2610 ' are' 525 ' Q' 1207 ... '.' 13, <|im_end|> 151645, '\\n' 198 and the header <|im_start|> "
    f"151644 'assistant' 77091 '\\n' 198 are trained ({ASSISTANT_FIRST_REPORT})"))
def test_a_conversation_opening_with_an_assistant_message_trains_only_the_answer(load_tokenizer_or_skip):
    """Checked on the tokens directly: the harness's oracle cannot render the empty prefix of a conversation that
    opens with an assistant message, so ``judge`` cannot take it."""
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    output = _output("qwen2.5-instruct", ASSISTANT_FIRST)
    answer = output["input_ids"].index(tokenizer("Hi", add_special_tokens=False)["input_ids"][0])
    assert output["input_ids"][answer - 3:answer] == [151644, 77091, 198]  # the header the answer follows
    assert [label for label in output["labels"][:answer] if label != -100] == []


def test_the_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    """The strict xfails above fail for their own reason, not another."""
    assert _output("qwen2.5-instruct", PARALLEL_RESULTS)["error"].startswith("AssertionError: MultiTurnSFTDataset")
    assert _output("llama-3.1-instruct", SYSTEM_AND_TOOLS)["error"].startswith("AssertionError: MultiTurnSFTDataset")
    for template, conversation in (("qwen2.5-instruct", PARALLEL_RESULTS), ("llama-3.1-instruct", SYSTEM_AND_TOOLS)):
        assert _failures(template, conversation, load_tokenizer_or_skip, ignore_input_ids_mismatch=True) == [
            "input_ids_match_rendering[text differs]"]
    qwen = load_tokenizer_or_skip("qwen2.5-instruct")
    ids = _output("qwen2.5-instruct", PARALLEL_RESULTS, ignore_input_ids_mismatch=True)["input_ids"]
    assert qwen.decode(ids).count("<|im_start|>user\n<tool_response>") == 2
    llama = load_tokenizer_or_skip("llama-3.1-instruct")
    ids = _output("llama-3.1-instruct", SYSTEM_AND_TOOLS, ignore_input_ids_mismatch=True)["input_ids"]
    assert 128000 not in ids and "get_weather" not in llama.decode(ids)
    assert _failures("deepseek-r1-distill-qwen-1.5b", SHORT, load_tokenizer_or_skip) == [
        "assistant_turns_fully_trained[answer turn, part]"]
    output = _output("deepseek-r1-distill-qwen-1.5b", SHORT)
    assert [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100] == [13, 151643]
    output = _output("qwen2.5-instruct", ASSISTANT_FIRST)
    qwen_trained = [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100]
    assert qwen_trained[:3] == [2610, 525, 1207] and qwen_trained[18:21] == [151644, 77091, 198]
    load_tokenizer_or_skip("gemma-3-it")
    with pytest.raises(AssertionError, match="Conversation roles must alternate"):
        _gemma_outputs()
