"""Sensitivity of the harness itself: planted-bug maskers it must catch, correct maskers it must pass.

The correct masker (tests/maskers.py) is independent of the oracle: prefix renders and a stop
string per template. Templates here do not rewrite history, so it is correct on all of them.
"""

from __future__ import annotations

import pytest

from harness.check import assert_masker, check_masker, judge
from harness.masker_output import MaskerOutputError
from harness.oracle import Policy
from tests import maskers

# Template -> its end-of-turn string, for the independent correct masker.
STOPS = {
    "qwen2.5-instruct": "<|im_end|>",
    "llama-3.1-instruct": "<|eot_id|>",
    "gemma-2-it": "<end_of_turn>",
    "phi-3.5-mini-instruct": "<|end|>",
    "aya-expanse": "<|END_OF_TURN_TOKEN|>",
    "smollm3-3b": "<|im_end|>",
}
SENSITIVITY_TEMPLATES = ["qwen2.5-instruct", "llama-3.1-instruct", "gemma-2-it"]

# Bugs that do not exist on a template (so a pass there is right, not a miss).
NOT_A_BUG_ON = {
    ("double_bos", "qwen2.5-instruct"),  # Qwen has no BOS token
    ("double_bos", "llama-3.1-instruct"),  # this tokenizer's encode() adds no BOS (no post-processor)
    ("tool_responses_trained", "gemma-2-it"),  # Gemma's template takes no tool role
    ("tool_call_turns_masked", "gemma-2-it"),
}
# Bugs that only show on some conversations; they must still be caught within the example budget.
EXAMPLES = 30


@pytest.mark.parametrize("name", sorted(STOPS))
def test_correct_masker_passes(name, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(name)
    report = check_masker(maskers.correct_masker(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES)
    assert report.passed, str(report)
    assert report.examples >= EXAMPLES


def test_correct_mask_tensor_masker_passes(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    assert_masker(maskers.correct_mask_masker(tokenizer, "<|im_end|>"), tokenizer, max_examples=15)


@pytest.mark.parametrize("bug", maskers.PLANTED_BUGS, ids=lambda bug: bug.__name__)
@pytest.mark.parametrize("name", SENSITIVITY_TEMPLATES)
def test_planted_bug_is_caught(name, bug, load_tokenizer_or_skip):
    if bug.__name__ == "turns_tokenized_separately":
        pytest.skip("token merges across turn boundaries occur only for some content; covered by test below")
    tokenizer = load_tokenizer_or_skip(name)
    report = check_masker(bug(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES)
    if (bug.__name__, name) in NOT_A_BUG_ON:
        assert report.passed, str(report)
        return
    assert not report.passed, f"{bug.__name__} was not caught on {name}: {report}"
    failure = report.failures[0]
    assert "◀" in failure.explanation or failure.property == "input_ids_match_rendering"
    assert failure.messages and failure.messages[-1]["role"] == "assistant"


def test_tokenizing_pieces_separately_is_caught_where_tokens_merge(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    masker = maskers.turns_tokenized_separately(tokenizer, "<|im_end|>")
    # "\n" + content starting with "\n" merges into one "\n\n" token in the full rendering.
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "\nok"}]
    _, failures = judge(masker, tokenizer, messages)
    assert [f.property for f in failures] == ["input_ids_match_rendering"]


def test_shrunk_counterexample_is_short(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    report = check_masker(maskers.stop_token_untrained(tokenizer, "<|im_end|>"), tokenizer, max_examples=20)
    failure = next(f for f in report.failures if f.property == "stop_token_trained")
    assert len(failure.messages) <= 2
    assert "<|im_end|>" in failure.explanation and "◀" in failure.explanation


def test_last_turn_convention_is_explicit(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    masker = maskers.last_turn_only(tokenizer, "<|im_end|>")
    assert check_masker(masker, tokenizer, max_examples=EXAMPLES, policy=Policy(turns="last")).passed
    assert not check_masker(masker, tokenizer, max_examples=EXAMPLES).passed


def test_masker_that_raises_is_a_failure(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")

    def crashing(messages, tools):
        if tools:
            raise KeyError("tools not supported")
        return maskers.correct_masker(tokenizer, "<|im_end|>")(messages, tools)

    report = check_masker(crashing, tokenizer, max_examples=EXAMPLES)
    assert [f.property for f in report.failures] == ["masker_raised"]
    assert "KeyError" in report.failures[0].explanation


@pytest.mark.parametrize(
    "output, problem",
    [
        ({"labels": [1]}, "no input_ids"),
        ({"input_ids": [1, 2], "labels": [1]}, "same length"),
        ({"input_ids": [1, 2]}, "neither labels nor a mask"),
        ({"input_ids": [1, 2], "loss_mask": [0, 2]}, "only 0 and 1"),
        ({"input_ids": [[1, 2], [3, 4]], "labels": [1, 2]}, "not an int"),
        ({"input_ids": [1, 2], "labels": [1.5, 2]}, "not an int"),
    ],
)
def test_bad_masker_output_is_named(output, problem):
    from harness.masker_output import normalize_output

    with pytest.raises(MaskerOutputError, match=problem):
        normalize_output(output)


def test_batch_of_one_and_float_masks_are_accepted():
    from harness.masker_output import normalize_output

    out = normalize_output({"input_ids": [[5, 6, 7]], "loss_mask": [[0.0, 1.0, 1.0]]})
    assert out.input_ids == [5, 6, 7] and out.trained == [False, True, True]


def test_judge_names_a_malformed_conversation(load_tokenizer_or_skip):
    from harness.conversation import ConversationError

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    masker = maskers.correct_masker(tokenizer, "<|im_end|>")
    with pytest.raises(ConversationError, match="message 1: tool message answers no call"):
        judge(masker, tokenizer, [{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}])


def test_bad_arguments_are_rejected(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    with pytest.raises(ValueError, match="max_examples"):
        check_masker(lambda m, t: {}, tokenizer, max_examples=0)
    with pytest.raises(TypeError, match="callable"):
        check_masker("not a masker", tokenizer)
    with pytest.raises(ValueError, match="turns"):
        Policy(turns="first")
