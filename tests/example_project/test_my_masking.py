"""The user's tests: one line each through the harness's ``masking_check`` fixture."""

import pytest

from my_masking import build_masker


@pytest.fixture
def tokenizer(load_tokenizer_or_skip):
    return load_tokenizer_or_skip("qwen2.5-instruct")


def test_my_masker_trains_exactly_the_assistant_tokens(masking_check, tokenizer):
    report = masking_check(build_masker(tokenizer), tokenizer)
    print(report)


def test_masker_that_forgets_the_end_of_turn(masking_check, tokenizer):
    masking_check(build_masker(tokenizer, forget_end_of_turn=True), tokenizer)


def test_my_private_template(masking_check):
    masking_check(lambda messages, tools: {}, "my-private-template")
