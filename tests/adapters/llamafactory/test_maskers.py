"""What harness.adapters.llamafactory declares without LlamaFactory installed (cpu tier, cheap)."""

from __future__ import annotations

import types

import pytest

from harness.conformance.spec import TrainerEnvironment


def test_the_environment_pins_llamafactory_and_a_transformers_it_accepts():
    from harness.adapters.llamafactory import ENVIRONMENT

    assert isinstance(ENVIRONMENT, TrainerEnvironment) and ENVIRONMENT.label == "llamafactory==0.9.5"
    pins = dict(r.split("==") for r in ENVIRONMENT.requirements)
    assert pins["transformers"] == "5.6.0"  # LlamaFactory: <=5.6.0
    assert "torchaudio" not in pins and "torch" not in pins  # no torchaudio matches the running torch


@pytest.mark.parametrize(("mask_history", "turns"), [(False, "all"), (True, "last")])
def test_the_policy_follows_mask_history_and_accepts_the_glue_its_templates_train(mask_history, turns):
    from harness.adapters.llamafactory import policy_for

    policy = policy_for(mask_history)
    assert policy.turns == turns and policy.train_glue_after_stop is None


def test_each_tokenizer_gets_the_template_the_readme_names():
    from harness.adapters.llamafactory import template_for

    def tokenizer(path):
        return types.SimpleNamespace(name_or_path=path, chat_template="{{ messages }}")

    assert template_for(tokenizer("/x/shared/tokenizers/qwen2.5-instruct")) == "qwen"
    assert template_for(tokenizer("/x/llama-3.1-instruct/")) == "llama3"
    assert template_for(tokenizer("someone/unknown-model")) is None


def test_an_unknown_tokenizer_without_a_chat_template_is_not_applicable():
    from harness.adapters.llamafactory import not_applicable

    assert "no LlamaFactory template" in not_applicable(types.SimpleNamespace(name_or_path="x", chat_template=None))
    assert not_applicable(types.SimpleNamespace(name_or_path="x", chat_template="{{ messages }}")) is None


def test_the_configurations_start_with_the_defaults_and_say_where_each_is_documented():
    from harness.adapters.llamafactory import CONFIGURATIONS
    from harness.conformance.trainers import configurations_of

    assert [c.name for c in configurations_of(types.SimpleNamespace(CONFIGURATIONS=CONFIGURATIONS))] == [
        "defaults", "formatting=sharegpt", "mask_history"]
    by_name = {c.name: c for c in CONFIGURATIONS}
    assert by_name["formatting=sharegpt"].options == {"formatting": "sharegpt"}
    assert "data/README.md" in by_name["formatting=sharegpt"].documented
    assert by_name["mask_history"].options == {"mask_history": True}


def test_openai_messages_become_the_sharegpt_form_data_readme_documents():
    from harness.adapters.llamafactory import sharegpt_messages

    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"city": "P"}'}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
                {"role": "assistant", "content": "Sunny."}]
    assert sharegpt_messages(messages) == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"},
        {"role": "function_call", "content": '[{"name": "get_weather", "arguments": {"city": "P"}}]'},
        {"role": "tool", "content": "sunny"}, {"role": "assistant", "content": "Sunny."}]


@pytest.mark.parametrize(("messages", "match"), [
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "Let me check.", "tool_calls": [
        {"function": {"name": "f", "arguments": {}}}]}], r"message 1: .*assistant text beside them \('Let me check"),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": None, "tool_calls": [
        {"function": {"name": "f", "arguments": {}}}, {"function": {"name": "f", "arguments": {}}}]},
      {"role": "tool", "content": "a"}, {"role": "tool", "content": "b"}], r"message 3: .*two tool results in a row"),
])
def test_what_the_sharegpt_format_cannot_hold_is_refused_naming_the_message(messages, match):
    from harness.adapters.llamafactory import NotExpressible, sharegpt_messages

    with pytest.raises(NotExpressible, match=match):
        sharegpt_messages(messages)


def test_an_unknown_formatting_is_refused_before_llamafactory_is_imported():
    from harness.adapters.llamafactory import masker

    with pytest.raises(ValueError, match=r"formatting 'alpaca': the masker runs openai, sharegpt"):
        masker(object(), formatting="alpaca")
