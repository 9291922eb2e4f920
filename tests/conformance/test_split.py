"""A cell's failure classes split into those ordinary conversations show and those that show only when a content
spells the template's control tokens: a stand-in search (no tokenizer work) for the logic, and the real search on a
stand-in masker (nightly)."""

from __future__ import annotations

import pytest

from harness.conformance.split import check_split, spelled_control_tokens, split_classes
from harness.masking.check import Failure, Report
from harness.masking.policy import Policy

TOKENS = ("<|im_end|>", "<|im_start|>")
PLAIN = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
SPELLED = [{"role": "system", "content": "<|im_start|>assistant\nx"}, *PLAIN]


def failure(key: str, messages) -> Failure:
    prop, _, kind = key.partition("[")
    return Failure(prop, messages, None, "explanation", kind=kind.rstrip("]"))


def test_control_tokens_are_found_in_contents_reasoning_and_tool_call_arguments():
    assert spelled_control_tokens(PLAIN, TOKENS) == []
    assert spelled_control_tokens(SPELLED, TOKENS) == ["<|im_start|>"]
    assert spelled_control_tokens([{"role": "assistant", "content": "", "reasoning_content": "a<|im_end|>"}],
                                  TOKENS) == ["<|im_end|>"]
    call = {"role": "assistant", "content": "",
            "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"q": "<|im_end|>"}}}]}
    assert spelled_control_tokens([call], TOKENS) == ["<|im_end|>"]
    assert spelled_control_tokens([{"role": "user", "content": "assistant\n"}], TOKENS) == []


def test_a_suspect_the_ordinary_search_finds_is_ordinary_the_others_need_control_tokens():
    contract = [failure("a[user]", PLAIN), failure("b[system]", SPELLED), failure("c[tool result]", SPELLED)]
    ordinary = [failure("b[system]", PLAIN), failure("d[user]", PLAIN)]  # d: a class the first search missed
    failures, control_only = split_classes(contract, ["b[system]", "c[tool result]"], ordinary)
    assert sorted(f.key for f in failures) == ["a[user]", "b[system]", "c[tool result]", "d[user]"]
    assert control_only == ["c[tool result]"]
    assert next(f for f in failures if f.key == "b[system]").messages == PLAIN  # shown on its ordinary conversation


class StandInSearch:
    """``check_masker``'s stand-in: the contract search returns ``contract``, the one on plain contents ``plain``."""

    def __init__(self, contract, plain):
        self.contract, self.plain, self.calls = contract, plain, []

    def __call__(self, masker, tokenizer, **options):
        self.calls.append(options)
        ordinary_search = "conversations" in options
        report = Report("stand-in", Policy(), examples=7)
        failures = self.plain if ordinary_search else self.contract
        report.failures = [f for f in failures if f.key not in set(options.get("ignore", ()))]
        return report


@pytest.fixture
def qwen(load_tokenizer_or_skip):
    return load_tokenizer_or_skip("qwen2.5-instruct")


def test_a_second_search_on_ordinary_contents_runs_for_the_suspects_alone(qwen):
    search = StandInSearch(contract=[failure("a[user]", PLAIN), failure("b[system]", SPELLED)],
                           plain=[failure("a[user]", PLAIN)])
    report = check_split(lambda m, t: None, qwen, examples=7, check=search)
    assert (sorted(report.keys), report.control_only, report.examples) == (["a[user]", "b[system]"], ["b[system]"], 14)
    assert [call["max_examples"] for call in search.calls] == [7, 14]  # the ordinary search looks harder
    contract, ordinary = search.calls
    assert "conversations" not in contract and ordinary["ignore"] == ["a[user]"]
    assert "search on contents that spell no control string, for b[system]" in report.details


def test_without_suspects_the_contract_search_alone_decides(qwen):
    search = StandInSearch(contract=[failure("a[user]", PLAIN)], plain=[])
    report = check_split(lambda m, t: None, qwen, examples=7, check=search)
    assert (report.keys, report.control_only, len(search.calls)) == (["a[user]"], [], 1)


@pytest.mark.slow
def test_a_masker_that_leaks_only_on_control_token_contents_is_marked_so(qwen):
    from tests.conformance import standin_adapter

    control = check_split(standin_adapter.masker(qwen, leak="control"), qwen, examples=10)
    assert control.keys and control.control_only == control.keys
    always = check_split(standin_adapter.masker(qwen, leak="always"), qwen, examples=10)
    assert always.keys and always.control_only == []
    assert check_split(standin_adapter.masker(qwen), qwen, examples=5).passed


def test_check_masker_sets_ignored_classes_aside_from_the_start(qwen):
    from harness.masking.check import check_masker
    from tests.conformance import standin_adapter

    leaking = standin_adapter.masker(qwen, leak="always")
    keys = ["no_label_outside_assistant_output[system]", "no_label_outside_assistant_output[user]"]
    assert not check_masker(leaking, qwen, max_examples=3, replay_dir=None).passed
    assert check_masker(leaking, qwen, max_examples=3, ignore=keys).passed
    with pytest.raises(TypeError, match="ignore must be an iterable of failure keys"):
        check_masker(leaking, qwen, max_examples=3, ignore=keys[0])
