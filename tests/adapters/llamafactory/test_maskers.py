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
