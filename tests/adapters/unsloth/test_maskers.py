"""What harness.adapters.unsloth declares without unsloth_zoo installed (cpu tier, cheap)."""

from __future__ import annotations

import sys

import pytest

from harness.conformance.spec import TrainerEnvironment


def test_the_environment_pins_unsloth_zoo_and_its_import_switches():
    from harness.adapters.unsloth import ENVIRONMENT

    assert isinstance(ENVIRONMENT, TrainerEnvironment) and ENVIRONMENT.trainer == "unsloth_zoo"
    pins = dict(r.split("==") for r in ENVIRONMENT.requirements)
    assert pins["transformers"] == "5.17.0" and pins["trl"] == "1.15.0"  # unsloth_zoo: <=5.17.0, trl <=1.15.0
    assert dict(ENVIRONMENT.env) == {"UNSLOTH_IS_PRESENT": "1", "UNSLOTH_ZOO_DISABLE_GPU_INIT": "1"}


@pytest.mark.parametrize(("last_response_only", "turns"), [(False, "all"), (True, "last")])
def test_the_policy_follows_last_response_only(last_response_only, turns):
    from harness.adapters.unsloth import policy_for

    policy = policy_for(last_response_only)
    assert policy.turns == turns and policy.train_glue_after_stop is False


def test_an_unknown_option_is_refused_before_unsloth_zoo_is_imported():
    from harness.adapters.unsloth import masker

    with pytest.raises(ValueError, match=r"unknown options \['train_on_eos'\]"):
        masker(object(), train_on_eos=True)
    assert "unsloth_zoo" not in sys.modules


def test_the_configurations_start_with_the_defaults_and_pass_only_options_the_masker_accepts():
    from harness.adapters.unsloth import CONFIGURATIONS, OPTIONS

    assert CONFIGURATIONS[0].name == "defaults" and dict(CONFIGURATIONS[0].options) == {}
    by_name = {c.name: c for c in CONFIGURATIONS}
    assert dict(by_name["force_match=False"].options) == {"force_match": False}
    for configuration in CONFIGURATIONS:
        assert set(configuration.options) <= set(OPTIONS), configuration.name
        assert "unsloth" in configuration.documented or "notebooks" in configuration.documented


def test_the_notebook_markers_apply_only_to_the_families_the_notebooks_give_them_for():
    from harness.adapters.unsloth import CONFIGURATIONS
    from harness.assets.tokenizers import KNOWN_HUB_IDS

    markers = [c for c in CONFIGURATIONS if c.name.startswith("notebook markers")]
    assert markers and all(c.templates and set(c.templates) <= set(KNOWN_HUB_IDS) for c in markers)
    chatml = next(c for c in markers if c.name == "notebook markers: chatml")
    assert chatml.options == {"instruction_part": "<|im_start|>user\n", "response_part": "<|im_start|>assistant\n"}
    assert chatml.applies_to("qwen2.5-instruct") and not chatml.applies_to("llama-3.1-instruct")
