"""``check_masker`` without a ``policy``: the masker's own ``policy`` attribute (a trainer adapter's documented
conventions), else ``Policy()``; an explicit policy still wins."""

from __future__ import annotations

import pytest

from harness.masking.check import check_masker
from harness.masking.policy import Policy
from harness.testing import planted

# Two assistant turns, fixed: the last-turn-only masker passes Policy(turns="last") and fails Policy() on it.
TWO_TURNS = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
                          {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye."}], "tools": None}


def _check(masker, tokenizer, **options):
    from hypothesis import strategies as st

    return check_masker(masker, tokenizer, max_examples=1, max_rounds=1, conversations=st.just(TWO_TURNS), **options)


@pytest.fixture(scope="module")
def last_turn_masker(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    return tokenizer, planted.last_turn_only(tokenizer, "<|im_end|>")


def test_the_masker_s_own_policy_is_used_when_none_is_given(last_turn_masker):
    tokenizer, masker = last_turn_masker

    def documented(messages, tools):
        return masker(messages, tools)

    documented.policy = Policy(turns="last")
    report = _check(documented, tokenizer)
    assert report.policy == Policy(turns="last")
    assert report.passed, str(report)


def test_without_a_policy_attribute_the_default_policy_judges(last_turn_masker):
    tokenizer, masker = last_turn_masker
    report = _check(masker, tokenizer)
    assert report.policy == Policy()
    assert not report.passed


def test_an_explicit_policy_wins_over_the_masker_s(last_turn_masker):
    tokenizer, masker = last_turn_masker

    def documented(messages, tools):
        return masker(messages, tools)

    documented.policy = Policy(turns="last")
    assert not _check(documented, tokenizer, policy=Policy()).passed


def test_a_policy_attribute_that_is_not_a_policy_is_refused(last_turn_masker):
    tokenizer, masker = last_turn_masker

    def documented(messages, tools):
        return masker(messages, tools)

    documented.policy = "last"
    with pytest.raises(TypeError, match="policy must be a harness.Policy, got str"):
        _check(documented, tokenizer)
