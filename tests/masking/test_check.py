"""Sensitivity of the harness itself: planted-bug maskers it must catch, correct maskers it must pass.

The correct masker (harness/testing/planted.py) is independent of the oracle: prefix renders and a stop
string per template. Templates here do not rewrite history, so it is correct on all of them.
"""

from __future__ import annotations

import pytest

from harness.masking.check import assert_masker, check_masker, judge
from harness.masking.output import MaskerOutputError
from harness.masking.oracle import Policy
from harness.testing import planted as maskers
from harness.testing import reference
from harness.testing.reference import IGNORE

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
    report = check_masker(reference.correct_masker(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES)
    assert report.passed, str(report)
    # examples counts distinct conversations judged (Hypothesis repeats some on small templates).
    assert report.examples >= EXAMPLES // 2


def test_correct_mask_tensor_masker_passes(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    assert_masker(reference.correct_mask_masker(tokenizer, "<|im_end|>"), tokenizer, max_examples=15)


@pytest.mark.parametrize("bug", maskers.PLANTED_BUGS, ids=lambda bug: bug.__name__)
@pytest.mark.parametrize("name", SENSITIVITY_TEMPLATES)
def test_planted_bug_is_caught(name, bug, load_tokenizer_or_skip):
    if bug.__name__ == "turns_tokenized_separately":
        pytest.skip("token merges across turn boundaries occur only for some content; covered by test below")
    tokenizer = load_tokenizer_or_skip(name)
    # Detection only (max_rounds=1): one shrunk failure is enough here; distinct classes are tested below.
    report = check_masker(bug(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES, max_rounds=1)
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
        return reference.correct_masker(tokenizer, "<|im_end|>")(messages, tools)

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
        ({"input_ids": [[1, 2], [3, 4]], "labels": [1, 2]}, r"^input_ids is a batch of 2 sequences; return one$"),
        ({"input_ids": [1, 2], "labels": [[1, 2], [3, 4], [5, 6]]}, r"^labels is a batch of 3 sequences; return one$"),
        ({"input_ids": [1, 2], "labels": [1.5, 2]}, "not an int"),
    ],
)
def test_bad_masker_output_is_named(output, problem):
    from harness.masking.output import normalize_output

    with pytest.raises(MaskerOutputError, match=problem):
        normalize_output(output)


def test_batch_of_one_and_float_masks_are_accepted():
    from harness.masking.output import normalize_output

    out = normalize_output({"input_ids": [[5, 6, 7]], "loss_mask": [[0.0, 1.0, 1.0]]})
    assert out.input_ids == [5, 6, 7] and out.trained == [False, True, True]


def test_bad_arguments_are_rejected(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    with pytest.raises(ValueError, match="max_examples"):
        check_masker(lambda m, t: {}, tokenizer, max_examples=0)
    with pytest.raises(TypeError, match="callable"):
        check_masker("not a masker", tokenizer)
    with pytest.raises(ValueError, match="turns"):
        Policy(turns="first")


# --- one failure class per bug, re-segmented ids judged, coverage (issue 8) --------------------

DISTINCT_TEMPLATES = ["qwen2.5-instruct", "llama-3.1-instruct", "smollm3-3b"]


@pytest.mark.parametrize("name", DISTINCT_TEMPLATES)
def test_two_bugs_are_two_failures_and_the_header_convention_leaves_the_tool_leak(name, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip(name)
    masker = maskers.header_and_tool_prefix_trained(tokenizer, STOPS[name])
    report = check_masker(masker, tokenizer, max_examples=EXAMPLES, replay_dir=tmp_path)
    keys = [f.key for f in report.failures]
    assert "no_label_outside_assistant_output[assistant header]" in keys, str(report)
    assert "no_label_outside_assistant_output[tool result]" in keys, str(report)
    tool = next(f for f in report.failures if f.kind == "tool result")
    assert any(m["role"] == "tool" for m in tool.messages)
    assert "◀" in tool.explanation and "tool" in tool.explanation
    accepted = check_masker(masker, tokenizer, max_examples=EXAMPLES, replay_dir=tmp_path,
                            policy=Policy(train_assistant_header=True))
    assert [f.key for f in accepted.failures] == ["no_label_outside_assistant_output[tool result]"], str(accepted)


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "llama-3.1-instruct", "gemma-2-it"])
def test_message_by_message_tokenization_is_judged_and_reported_once(name, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip(name)
    report = check_masker(reference.per_message_masker(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES,
                          replay_dir=tmp_path)
    assert [f.key for f in report.failures] in ([], ["input_ids_match_rendering[segmentation]"]), str(report)
    lenient = check_masker(reference.per_message_masker(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES,
                           replay_dir=tmp_path, policy=Policy(segmentation=None))
    assert lenient.passed, str(lenient)


def test_smollm3_tool_results_are_generated_and_a_tool_leak_is_caught(load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip("smollm3-3b")
    correct = check_masker(reference.correct_masker(tokenizer, "<|im_end|>"), tokenizer, max_examples=EXAMPLES,
                           replay_dir=tmp_path)
    assert correct.passed, str(correct)
    assert correct.coverage.counts["tool results"] > 0 and correct.coverage.counts["tool calls"] > 0
    assert "structured tool calls" in correct.coverage.cannot_express
    leak = check_masker(maskers.tool_responses_trained(tokenizer, "<|im_end|>"), tokenizer, max_examples=EXAMPLES,
                        replay_dir=tmp_path)
    assert "no_label_outside_assistant_output[tool result]" in [f.key for f in leak.failures], str(leak)
    shrunk = next(f for f in leak.failures if f.kind == "tool result").messages
    call = next(m for m in shrunk if m["role"] == "assistant" and "<tool_call>" in (m.get("content") or ""))
    assert "tool_calls" not in call  # written as text, in the format SmolLM3's tool prompt documents


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "gemma-2-it"])
def test_report_lists_coverage_and_what_the_template_cannot_express(name, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip(name)
    report = check_masker(reference.correct_masker(tokenizer, STOPS[name]), tokenizer, max_examples=EXAMPLES, replay_dir=tmp_path)
    lines = str(report).splitlines()
    assert lines[1].startswith("exercised (") and "tool results" in lines[1] and "non-ASCII" in lines[1]
    assert lines[2].startswith("template cannot express:")
    if name == "gemma-2-it":
        assert "tool results" in report.coverage.cannot_express and not report.coverage.gaps
    else:
        assert report.coverage.counts["tool results"] > 0 and report.coverage.counts["multi-turn"] > 0


def test_no_tool_results_on_a_template_that_renders_them_fails_the_assertion(load_tokenizer_or_skip, tmp_path):
    from hypothesis import strategies as st

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    plain = st.just({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "tools": None})
    report = check_masker(reference.correct_masker(tokenizer, "<|im_end|>"), tokenizer, max_examples=3, conversations=plain)
    assert report.passed  # nothing to judge about coverage: the caller chose the conversations
    from harness.masking.coverage import Coverage

    gap = Coverage(cannot_express={})
    gap.add({"system"})
    assert gap.gaps == ["tool calls", "tool results"]


def test_replay_file_holds_the_whole_conversation_and_the_command_replays_it(load_tokenizer_or_skip, tmp_path):
    import json
    import shlex
    import subprocess
    import sys

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    report = check_masker(maskers.stop_token_untrained(tokenizer, "<|im_end|>"), tokenizer, max_examples=EXAMPLES,
                          replay_dir=tmp_path)
    failure = report.failures[0]
    assert failure.replay and failure.replay in str(report)
    command = shlex.split(failure.replay)
    data = json.loads(open(command[-1], encoding="utf-8").read())
    assert data["messages"] == failure.messages
    out = subprocess.run([sys.executable, *command[1:], "--color", "never"], capture_output=True, text=True, check=True)
    assert "<|im_end|>" in out.stdout and "✓" in out.stdout


def test_a_masker_that_searches_for_the_role_header_is_caught(load_tokenizer_or_skip, tmp_path):
    import re

    from harness.adapters.transformers import encode_with_offsets, render

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")

    def header_search(messages, tools):
        text = render(tokenizer, messages, tools)
        ids, offsets = encode_with_offsets(tokenizer, text)
        spans = [(0, h.end(), text.find("<|im_end|>", h.end()) + len("<|im_end|>"))
                 for h in re.finditer(r"<\|im_start\|>assistant\n", text)]
        return {"input_ids": ids, "labels": [t if m else IGNORE for t, m in zip(ids, maskers._mask(offsets, spans))]}

    report = check_masker(header_search, tokenizer, max_examples=EXAMPLES, replay_dir=tmp_path, max_rounds=1)
    assert not report.passed, str(report)  # the header spelled inside a user or tool message is not a turn


def test_a_shift_is_one_failure_class_whatever_its_direction(load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    report = check_masker(maskers.labels_shifted_left(tokenizer, "<|im_end|>"), tokenizer, max_examples=EXAMPLES,
                          replay_dir=tmp_path)
    assert [f.key for f in report.failures if f.property == "labels_aligned"] == ["labels_aligned"]
