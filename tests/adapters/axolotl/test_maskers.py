"""The axolotl adapter's conventions, option checks and documented configurations, without axolotl (cheap: runs in
the CI tier)."""

from __future__ import annotations

import json

import pytest

from harness.adapters.axolotl import CONFIGURATIONS, ENVIRONMENT, OPTIONS, masker, not_applicable, policy_for
from harness.adapters.axolotl.maskers import _with_json_strings
from harness.masking.policy import Policy


def test_the_defaults_train_every_assistant_turn_and_its_end_token():
    # train_on_eos: turn trains the EOS after each trained turn, also where the template writes it only after the
    # last message (Phi-3.5's <|endoftext|>): that conversation end is accepted either way.
    assert policy_for({}) == Policy(turns="all", train_conversation_end=None)
    assert policy_for({"roles_to_train": ["assistant"], "train_on_eos": "turn", "train_on_eot": "all",
                       "eot_tokens": ["<|end|>"]}) == Policy(train_conversation_end=None)


def test_the_last_message_mode_trains_what_follows_the_final_generation_prompt():
    """conversation.qmd "Training on last message": roles_to_train and train_on_eos left empty."""
    assert policy_for({"roles_to_train": None, "train_on_eos": None}) == Policy(
        turns="last", train_glue_after_stop=None, train_conversation_end=None)
    assert policy_for({"roles_to_train": [], "train_on_eos": None}).turns == "last"


@pytest.mark.parametrize("options, message", [
    ({"roles_to_train": ["assistant", "user"]}, "judges assistant-only training"),
    ({"roles_to_train": []}, "judges assistant-only training"),  # without empty train_on_eos: not the legacy mode
    ({"train_on_eos": "last"}, "expects each assistant turn's stop token trained"),
    ({"train_on_eos": "turn", "train_on_eot": "none"}, "train_on_eot='none'"),
])
def test_options_the_contract_cannot_express_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        policy_for(options)


def test_an_unknown_option_is_refused_before_axolotl_is_imported():
    with pytest.raises(TypeError, match=r"unknown axolotl option\(s\) \['train_on_everything'\]"):
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


def test_each_documented_configuration_is_accepted_and_says_where_it_is_documented():
    assert CONFIGURATIONS[0].name == "defaults" and dict(CONFIGURATIONS[0].options) == {}
    assert len({c.name for c in CONFIGURATIONS}) == len(CONFIGURATIONS)
    for configuration in CONFIGURATIONS:
        assert set(configuration.options) <= set(OPTIONS), configuration.name
        assert isinstance(policy_for(configuration.options), Policy), configuration.name
        assert json.loads(json.dumps(dict(configuration.options))) == dict(configuration.options)
        assert any(where in configuration.documented for where in ("docs/", "examples/")), configuration.name
    by_name = {c.name: c for c in CONFIGURATIONS}
    assert by_name["eot_tokens=<|end|> (phi-3.5)"].templates == ("phi-3.5-mini-instruct",)
    assert dict(by_name["eot_tokens=<|end|> (phi-3.5)"].options) == {"eot_tokens": ["<|end|>"]}


def test_tool_data_as_json_strings_is_the_rows_tool_data_serialized_and_nothing_else():
    messages = [{"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": None}}},
                    {"id": "d", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "default": None}}}]
    new_messages, new_tools = _with_json_strings(messages, tools)
    calls = new_messages[1]["tool_calls"]
    assert calls[0]["function"]["arguments"] == '{"a": null}' and calls[1]["function"]["arguments"] == '{"a": 1}'
    assert new_tools[0]["function"]["parameters"] == '{"type": "object", "default": null}'
    assert new_messages[0] is messages[0] and messages[1]["tool_calls"][0]["function"]["arguments"] == {"a": None}
    assert _with_json_strings(messages[:1], None) == (messages[:1], None)
