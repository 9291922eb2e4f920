"""Label expansion: the Policy's conventions decide the labels of text the model never generates."""

from __future__ import annotations

import pytest

from harness.masking.oracle import Expect, Policy, TurnSpan, build_oracle
from harness.masking.oracle.labels import _char_requirements, _expected_from, _stop_token_indices


@pytest.mark.parametrize(
    "policy, header_newline, glue_newline",
    [
        (Policy(), Expect.SKIP, Expect.SKIP),
        (Policy(train_header_whitespace=True, train_glue_after_stop=True), Expect.TRAIN, Expect.TRAIN),
        (Policy(train_header_whitespace=None, train_glue_after_stop=None), Expect.EITHER, Expect.EITHER),
    ],
)
def test_newline_conventions(policy, header_newline, glue_newline, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    oracle = build_oracle(tokenizer, [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], policy=policy)
    texts = [oracle.text[a:b] for a, b in oracle.offsets]
    assert texts[-5:] == ["assistant", "\n", "y", "<|im_end|>", "\n"]
    assert oracle.expected[-4:] == [header_newline, Expect.TRAIN, Expect.TRAIN, glue_newline]


@pytest.mark.parametrize("policy, expected", [(Policy(), Expect.SKIP), (Policy(train_conversation_end=True), Expect.TRAIN)])
def test_phi_conversation_end_is_a_named_convention(policy, expected, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("phi-3.5-mini-instruct")
    oracle = build_oracle(tokenizer, [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], policy=policy)
    assert oracle.text.endswith("<|endoftext|>")
    assert oracle.expected[-1] is expected


def _turn(**where) -> TurnSpan:
    return TurnSpan(message_index=1, sampled_text="", **where)


# "H\nab|G" : header "H" + "\n", generated "ab" then stop "|", glue "G".
TEXT = "H\nab|G"
TURN = _turn(header_start=0, header_end=2, header_ws_start=1, start=2, stop_start=4, end=5, glue_end=6)


def test_char_requirements_follow_the_policy():
    assert _char_requirements(TEXT, [TURN], Policy(), (0, 0)) == [False, False, True, True, True, False]
    assert _char_requirements(TEXT, [TURN], Policy(train_assistant_header=None), (0, 0))[:2] == [None, None]
    assert _char_requirements(TEXT, [TURN], Policy(train_glue_after_stop=True), (0, 0))[-1] is True


def test_a_token_is_labelled_by_the_characters_it_spells():
    must = _char_requirements(TEXT, [TURN], Policy(), (0, 0))
    hazards = []
    # "H\n" skip, "a" train, "b|G" the stop token swallows the glue: still trained; "\na" straddles.
    assert _expected_from(TEXT, [(0, 2), (2, 3), (3, 6)], must, [TURN], hazards) == [Expect.SKIP, Expect.TRAIN, Expect.TRAIN]
    assert hazards == []
    assert _expected_from(TEXT, [(0, 1), (1, 3), (3, 6)], must, [TURN], hazards)[1] is Expect.EITHER
    assert [h.kind for h in hazards] == ["straddle"]
    assert _stop_token_indices([(0, 2), (2, 4), (4, 5), (5, 6)], [TURN]) == {1: [2]}
