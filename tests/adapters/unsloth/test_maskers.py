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
