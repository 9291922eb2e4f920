"""What harness.adapters.verl declares without verl installed (cpu tier, cheap): its environment and policy."""

from __future__ import annotations

import types

from harness.conformance.spec import TrainerEnvironment


def test_the_environment_pins_verl_and_a_transformers_it_accepts():
    from harness.adapters.verl import ENVIRONMENT

    assert isinstance(ENVIRONMENT, TrainerEnvironment) and ENVIRONMENT.label == "verl==0.9.1"
    pins = dict(r.split("==") for r in ENVIRONMENT.requirements)
    assert pins["verl"] == "0.9.1" and pins["transformers"].startswith("5.10.")  # verl: >=5.5.3,<5.11
    assert "torch" not in pins


def test_the_policy_trains_every_turn_and_accepts_the_glue_verl_trains_after_the_stop_token():
    from harness.adapters.verl import POLICY

    assert POLICY.turns == "all" and POLICY.train_glue_after_stop is None
    assert POLICY.train_assistant_header is False


def test_a_tokenizer_without_a_chat_template_is_not_applicable():
    from harness.adapters.verl import not_applicable

    assert "no chat template" in not_applicable(types.SimpleNamespace(chat_template=None))
    assert not_applicable(types.SimpleNamespace(chat_template="{{ messages }}")) is None


def test_the_configurations_start_with_the_defaults_and_document_ignore_input_ids_mismatch():
    from harness.adapters.verl import CONFIGURATIONS

    assert CONFIGURATIONS[0].name == "defaults" and dict(CONFIGURATIONS[0].options) == {}
    by_name = {c.name: c for c in CONFIGURATIONS}
    assert dict(by_name["ignore_input_ids_mismatch=True"].options) == {"ignore_input_ids_mismatch": True}
    assert all("sft_trainer_engine.yaml" in c.documented for c in CONFIGURATIONS)


def test_with_the_mismatch_ignored_the_policy_accepts_another_segmentation_of_the_same_text():
    from harness.adapters.verl import POLICY, policy_for

    assert policy_for(False) == POLICY and POLICY.segmentation is True
    relaxed = policy_for(True)
    assert relaxed.segmentation is None and relaxed.turns == POLICY.turns
    assert relaxed.train_glue_after_stop == POLICY.train_glue_after_stop
