"""What harness.adapters.skyrl declares without skyrl installed (cpu tier, cheap): environment, policies, option
checks, and the import stand-ins (``_standins``)."""

from __future__ import annotations

import importlib.util
import sys
import typing

import pytest

from harness.conformance.spec import TrainerEnvironment


def test_the_environment_pins_skyrl_and_a_transformers_it_accepts_without_ray():
    from harness.adapters.skyrl import ENVIRONMENT

    assert isinstance(ENVIRONMENT, TrainerEnvironment) and ENVIRONMENT.label == "skyrl==0.4.0"
    pins = dict(r.split("==") for r in ENVIRONMENT.requirements)
    assert pins["transformers"] == "5.16.1"  # skyrl: >=5.6.1,<=5.16.1
    assert ENVIRONMENT.python == "3.12"  # the wheel's floor; its compiled ray could not load on 3.11, so no ray
    assert "ray" not in pins and "torch" not in pins


@pytest.mark.parametrize(("mode", "turns", "glue"), [("last_assistant_message", "last", None),
                                                     ("all_assistant_messages", "all", False)])
def test_each_mode_has_the_policy_skyrl_implements(mode, turns, glue):
    from harness.adapters.skyrl import policy_for

    policy = policy_for(mode)
    assert (policy.turns, policy.train_glue_after_stop) == (turns, glue)


def test_an_unknown_train_on_what_is_refused_before_skyrl_is_imported():
    from harness.adapters.skyrl import masker

    with pytest.raises(ValueError, match="train_on_what must be one of"):
        masker(object(), train_on_what="everything")
    assert "skyrl" not in sys.modules


@pytest.mark.skipif(importlib.util.find_spec("ray") is not None, reason="ray is installed: no stand-in is used")
def test_the_ray_stand_in_exists_only_while_skyrl_loads():
    from harness.adapters.skyrl._standins import skyrl_importable

    original = typing.TypedDict
    with skyrl_importable():
        import ray
        from ray.util.placement_group import placement_group

        @ray.remote
        class Actor:
            pass

        Actor.options(name="x").remote()
        placement_group([{"CPU": 1}])
    assert "ray" not in sys.modules and importlib.util.find_spec("ray") is None
    assert typing.TypedDict is original


def test_the_configurations_are_the_documented_train_on_what_modes_each_with_its_policy():
    """CONFIGURATIONS: the defaults first, then each train_on_what mode skyrl documents, each accepted by the masker's
    option check and given the policy skyrl documents for it (no skyrl import needed)."""
    from harness.adapters.skyrl import CONFIGURATIONS, TRAIN_ON_WHAT, policy_for
    from harness.conformance.spec import Configuration

    assert all(isinstance(c, Configuration) for c in CONFIGURATIONS)
    assert [c.name for c in CONFIGURATIONS] == ["defaults", "train_on_what=all_assistant_messages"]
    assert dict(CONFIGURATIONS[0].options) == {}
    modes = [c.options.get("train_on_what", "last_assistant_message") for c in CONFIGURATIONS]
    assert sorted(modes) == sorted(TRAIN_ON_WHAT)
    assert [policy_for(mode).turns for mode in modes] == ["last", "all"]
    assert all("sft_config.py" in c.documented for c in CONFIGURATIONS)


def test_the_findings_name_only_this_adapters_configurations():
    from harness.adapters.skyrl import CONFIGURATIONS
    from harness.conformance.known import load_findings

    names = {c.name for c in CONFIGURATIONS}
    findings = load_findings("skyrl")
    assert findings and all(set(f.configurations) <= names for f in findings)
    assert all(f.version == "0.4.0" and f.trainer == "skyrl" for f in findings)
