"""skyrl 0.4.0's SFT data path (``sft_trainer.tokenize_chat_example``; with ``train_on_what="all_assistant_messages"``
``get_response_ids_and_loss_mask_from_messages``, which skyrl's RL generator does not use: it encodes one step's
observations together) on fixed conversations, in its own environment (nightly tier). Each confirmed defect is a
strict xfail naming its tokens and its report (docs/findings/<slug>.md; harness/adapters/skyrl/findings.toml)."""

from __future__ import annotations

import pytest

from harness.masking.check import judge
from tests.adapters.trainer_conversations import PARALLEL_RESULTS, PLAIN, TOOL_CALL, TOOLS
from tests.conformance.trainer_outputs import outputs_or_skip, replaying

pytestmark = pytest.mark.slow

TEMPLATES = ["qwen2.5-instruct", "llama-3.1-instruct"]

SHORT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}],
         "tools": None}
EMPTY_ANSWER = {"messages": [{"role": "user", "content": "Say nothing."}, {"role": "assistant", "content": ""}],
                "tools": None}
TWO_TURNS = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
                          {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye."}], "tools": None}
# A call without text in the OpenAI form (content None); arguments as a JSON string, which the R1-Distill template
# concatenates.
DEEPSEEK_CALL = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                              {"role": "assistant", "content": None, "tool_calls": [
                                  {"type": "function",
                                   "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
                              {"role": "tool", "content": "sunny"},
                              {"role": "assistant", "content": "Sunny."}], "tools": None}
CONVERSATIONS = [PLAIN, TOOL_CALL, PARALLEL_RESULTS, SHORT, EMPTY_ANSWER, TWO_TURNS, DEEPSEEK_CALL]
MODES = ["last_assistant_message", "all_assistant_messages"]
_OUTPUTS: dict[tuple, list[dict]] = {}


def _failures(template, conversation, load_tokenizer_or_skip, train_on_what: str) -> list[str]:
    """The failure classes of skyrl's masker (``train_on_what``) on ``conversation``, under the policy skyrl
    documents for that mode (all of this module's conversations run in one call to its environment)."""
    from harness.adapters.skyrl import policy_for

    tokenizer = load_tokenizer_or_skip(template)
    key = (template, train_on_what)
    if key not in _OUTPUTS:
        _OUTPUTS[key] = outputs_or_skip("skyrl", template, CONVERSATIONS, train_on_what=train_on_what)
    output = _OUTPUTS[key][CONVERSATIONS.index(conversation)]
    _, failures = judge(replaying(output), tokenizer, conversation["messages"], conversation["tools"],
                        policy=policy_for(train_on_what))
    return [f.key for f in failures]


@pytest.mark.parametrize("train_on_what", MODES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_plain_and_single_tool_call_conversations_train_what_skyrl_documents(template, train_on_what,
                                                                            load_tokenizer_or_skip):
    assert _failures(template, PLAIN, load_tokenizer_or_skip, train_on_what) == []
    assert _failures(template, TOOL_CALL, load_tokenizer_or_skip, train_on_what) == []


def test_the_default_trains_the_last_turn_only_as_documented(load_tokenizer_or_skip):
    """Its default (``last_assistant_message``) is a documented convention, accepted through the policy: judged
    under the all-turns policy it leaves the first answer untrained."""
    from harness.adapters.skyrl import policy_for
    from harness.masking.policy import Policy

    assert policy_for("last_assistant_message").turns == "last"
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    _failures("qwen2.5-instruct", PLAIN, load_tokenizer_or_skip, "last_assistant_message")
    output = _OUTPUTS[("qwen2.5-instruct", "last_assistant_message")][CONVERSATIONS.index(PLAIN)]
    _, failures = judge(replaying(output), tokenizer, PLAIN["messages"], None,
                        policy=Policy(train_glue_after_stop=None))
    assert sorted(f.key for f in failures) == ["assistant_turns_fully_trained[answer turn, entire]",
                                               "stop_token_trained[stop token]"]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "skyrl 0.4.0 SFT all_assistant_messages (get_response_ids_and_loss_mask_from_messages) encodes each message alone "
    "after a fixed base, so on Qwen2.5 two consecutive tool results each get their own user turn: after the first "
    "'</tool_response>' the ids are '>' 29, <|im_end|> 151645, '\\n' 198, <|im_start|> 151644, 'user' 872 where the "
    "template (and skyrl's own SkyRLGymGenerator) writes '>\\n' 397, '<' 27, 'tool' 14172 (both results in one user "
    "turn); docs/findings/skyrl-parallel-tool-results-split-into-separate-turns.md"))
def test_parallel_tool_results_are_trained_as_rendered_in_all_turns_mode(load_tokenizer_or_skip):
    assert _failures("qwen2.5-instruct", PARALLEL_RESULTS, load_tokenizer_or_skip, "all_assistant_messages") == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "skyrl 0.4.0 _tokenize_chat_last_assistant (the default mode) trains the last len(full) - len(prompt) tokens, "
    "taking the prompt rendered with the generation prompt for a prefix of the conversation; DeepSeek-R1-Distill's "
    "generation prompt ends '<think>' 151648 '\\n' 198, which the rendered conversation does not hold, so the "
    "answer's first two tokens 'Hello' 9707 ' there' 1052 are not trained (only '.' 13 and <｜end▁of▁sentence｜> "
    "151643 are); docs/findings/skyrl-last-turn-mode-assumes-the-prompt-is-a-prefix.md"))
def test_the_last_answer_is_fully_trained_on_deepseek_r1(load_tokenizer_or_skip):
    assert _failures("deepseek-r1-distill-qwen-1.5b", SHORT, load_tokenizer_or_skip, "last_assistant_message") == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "skyrl 0.4.0 _tokenize_chat_last_assistant: on DeepSeek-R1-Distill an answer of at most two tokens leaves "
    "len(full) - len(prompt) <= 0 and tokenize_chat_example returns None: the row is dropped, silently; "
    "docs/findings/skyrl-last-turn-mode-assumes-the-prompt-is-a-prefix.md"))
def test_an_empty_last_answer_is_kept_on_deepseek_r1(load_tokenizer_or_skip):
    _failures("deepseek-r1-distill-qwen-1.5b", SHORT, load_tokenizer_or_skip, "last_assistant_message")
    output = _OUTPUTS[("deepseek-r1-distill-qwen-1.5b", "last_assistant_message")][CONVERSATIONS.index(EMPTY_ANSWER)]
    assert "error" not in output


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "skyrl 0.4.0 all_assistant_messages: encode_messages_subset keeps the ids past a fixed [system, user] base, which "
    "Phi-3.5's template ends with <|endoftext|> 32000; so <|endoftext|> 32000 stands where the template writes "
    "<|assistant|> 32001 (ids 3, 11) and <|user|> 32010 (id 7), and the one at 7 is trained; "
    "docs/findings/skyrl-all-assistant-messages-fixed-base-breaks-turn-headers.md"))
def test_phi_turn_headers_are_kept_in_all_turns_mode(load_tokenizer_or_skip):
    assert _failures("phi-3.5-mini-instruct", TWO_TURNS, load_tokenizer_or_skip, "all_assistant_messages") == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "skyrl 0.4.0 all_assistant_messages: the fixed base of encode_messages_subset is [system, user]; a user message "
    "rendered after it breaks Gemma 3's alternation check (TemplateError: Conversation roles must alternate), so a "
    "two-turn row its template renders raises; "
    "docs/findings/skyrl-all-assistant-messages-fixed-base-breaks-turn-headers.md"))
def test_a_two_turn_gemma_3_row_is_tokenized_in_all_turns_mode(load_tokenizer_or_skip):
    assert _failures("gemma-3-it", TWO_TURNS, load_tokenizer_or_skip, "all_assistant_messages") == []


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "skyrl 0.4.0 _normalize_chat_messages turns a tool call's content None into '', and DeepSeek-R1-Distill's template "
    "renders tool_calls only when content is none: after <｜Assistant｜> 151645 skyrl has <｜end▁of▁sentence｜> 151643 "
    "where the template writes <｜tool▁calls▁begin｜> ... get_weather; "
    "docs/findings/skyrl-normalized-content-drops-deepseek-tool-calls.md"))
def test_a_tool_call_without_text_is_rendered_on_deepseek_r1(load_tokenizer_or_skip):
    # Judged on the text: the running transformers (>= 5.23) drops content None, which this template then cannot
    # render, so the oracle cannot render the conversation skyrl's transformers 5.16.1 renders.
    tokenizer = load_tokenizer_or_skip("deepseek-r1-distill-qwen-1.5b")
    _deepseek_outputs(load_tokenizer_or_skip)
    output = _OUTPUTS[("deepseek-r1-distill-qwen-1.5b", "last_assistant_message")][CONVERSATIONS.index(DEEPSEEK_CALL)]
    assert "<｜tool▁calls▁begin｜>" in tokenizer.decode(output["input_ids"])


def _deepseek_outputs(load_tokenizer_or_skip) -> None:
    _failures("deepseek-r1-distill-qwen-1.5b", SHORT, load_tokenizer_or_skip, "last_assistant_message")


def test_the_failures_are_the_ones_the_xfails_name(load_tokenizer_or_skip):
    """The strict xfail above fails for its own reason, not another; the default mode renders the same conversation
    whole, so it is not affected."""
    assert _failures("qwen2.5-instruct", PARALLEL_RESULTS, load_tokenizer_or_skip, "all_assistant_messages") == [
        "input_ids_match_rendering[text differs]"]
    output = _OUTPUTS[("qwen2.5-instruct", "all_assistant_messages")][CONVERSATIONS.index(PARALLEL_RESULTS)]
    text = load_tokenizer_or_skip("qwen2.5-instruct").decode(output["input_ids"])
    assert text.count("<|im_start|>user\n<tool_response>") == 2
    assert _failures("qwen2.5-instruct", PARALLEL_RESULTS, load_tokenizer_or_skip, "last_assistant_message") == []
    assert _failures("deepseek-r1-distill-qwen-1.5b", SHORT, load_tokenizer_or_skip, "last_assistant_message") == [
        "assistant_turns_fully_trained[answer turn, part]"]
    output = _OUTPUTS[("deepseek-r1-distill-qwen-1.5b", "last_assistant_message")][CONVERSATIONS.index(SHORT)]
    assert [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100] == [13, 151643]
    empty = _OUTPUTS[("deepseek-r1-distill-qwen-1.5b", "last_assistant_message")][CONVERSATIONS.index(EMPTY_ANSWER)]
    assert "returned None" in empty["error"]


def test_the_new_findings_fail_for_the_reasons_their_xfails_name(load_tokenizer_or_skip):
    """Pins the tokens and errors the three xfails above name (each would also fail for another reason otherwise)."""
    phi = load_tokenizer_or_skip("phi-3.5-mini-instruct")
    assert _failures("phi-3.5-mini-instruct", TWO_TURNS, load_tokenizer_or_skip, "all_assistant_messages") == [
        "input_ids_match_rendering[text differs]"]
    output = _OUTPUTS[("phi-3.5-mini-instruct", "all_assistant_messages")][CONVERSATIONS.index(TWO_TURNS)]
    assert [i for i, t in enumerate(output["input_ids"]) if t == 32000] == [3, 7, 11, 16]
    assert output["labels"][7] == 32000 and output["labels"][3] == output["labels"][11] == -100
    assert phi.convert_ids_to_tokens([32000, 32001, 32010]) == ["<|endoftext|>", "<|assistant|>", "<|user|>"]
    _failures("gemma-3-it", TWO_TURNS, load_tokenizer_or_skip, "all_assistant_messages")
    gemma = _OUTPUTS[("gemma-3-it", "all_assistant_messages")][CONVERSATIONS.index(TWO_TURNS)]
    assert "Conversation roles must alternate" in gemma["error"]
    deepseek = load_tokenizer_or_skip("deepseek-r1-distill-qwen-1.5b")
    _deepseek_outputs(load_tokenizer_or_skip)
    ids = _OUTPUTS[("deepseek-r1-distill-qwen-1.5b", "last_assistant_message")][CONVERSATIONS.index(DEEPSEEK_CALL)][
        "input_ids"]
    after = ids[ids.index(151645) + 1]  # <｜Assistant｜>, then <｜end▁of▁sentence｜> where the call belongs
    assert after == 151643 and "get_weather" not in deepseek.decode(ids)
    assert deepseek.decode(ids).endswith("<｜tool▁outputs▁end｜>Sunny.<｜end▁of▁sentence｜>")
