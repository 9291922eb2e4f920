"""The axolotl adapter's conventions and option checks, without axolotl (cheap: runs in the CI tier)."""

from __future__ import annotations

import pytest

from harness.adapters.axolotl import ENVIRONMENT, masker, not_applicable, policy_for
from harness.masking.policy import Policy


def test_the_defaults_train_every_assistant_turn_and_its_end_token():
    assert policy_for({}) == Policy(turns="all")
    assert policy_for({"roles_to_train": ["assistant"], "train_on_eos": "turn", "train_on_eot": "all"}) == Policy()


@pytest.mark.parametrize("options, message", [
    ({"roles_to_train": ["assistant", "user"]}, "judges assistant-only training"),
    ({"train_on_eos": "last"}, "expects each assistant turn's stop token trained"),
    ({"train_on_eos": "turn", "train_on_eot": "none"}, "train_on_eot='none'"),
])
def test_options_the_contract_cannot_express_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        policy_for(options)


def test_an_unknown_dataset_option_is_refused_before_axolotl_is_imported():
    with pytest.raises(TypeError, match=r"unknown axolotl dataset option\(s\) \['train_on_everything'\]"):
        masker(object(), train_on_everything=True)


def test_a_tokenizer_without_a_single_template_is_not_applicable():
    class Tokenizer:
        chat_template = {"default": "...", "tool_use": "..."}

    assert "dict of named templates" in not_applicable(Tokenizer())
    Tokenizer.chat_template = None
    assert "no chat_template" in not_applicable(Tokenizer())
    Tokenizer.chat_template = "{{ messages }}"
    assert not_applicable(Tokenizer()) is None


def test_the_environment_pins_the_transformers_axolotl_requires():
    assert ENVIRONMENT.label == "axolotl==0.21.0" and "transformers==5.20.1" in ENVIRONMENT.requirements
