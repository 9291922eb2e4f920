"""``TrainerEnvironment``: what an adapter declares, validated where it is written; every adapter present declares
one."""

from __future__ import annotations

import pytest

from harness.conformance.spec import TrainerEnvironment
from harness.conformance.trainers import ADAPTERS, Trainer, load_trainer


def test_a_valid_environment_has_its_label():
    spec = TrainerEnvironment("unsloth_zoo", "2026.1.1", ("unsloth-zoo==2026.1.1", "transformers==5.17.0"))
    assert spec.label == "unsloth_zoo==2026.1.1"
    assert spec.python is None


@pytest.mark.parametrize("fields, message", [
    (dict(trainer="", release="1.0", requirements=("x==1.0",)), "trainer must be a non-empty word"),
    (dict(trainer="x", release="1 0", requirements=("x==1 0",)), "release must be a non-empty word"),
    (dict(trainer="x", release="1.0", requirements="x==1.0"), "requirements must be a tuple of requirement strings"),
    (dict(trainer="x", release="1.0", requirements=("transformers==5.20.1",)),
     r"must pin the trainer itself \(x==1.0\)"),
    (dict(trainer="x", release="1.0", requirements=("x==1.1",)), r"must pin the trainer itself"),
    (dict(trainer="x", release="1.0", requirements=("x==1.0",), python="py3"), "must be a version like '3.12'"),
])
def test_a_malformed_environment_is_refused_naming_the_field(fields, message):
    with pytest.raises(ValueError, match=message):
        TrainerEnvironment(**fields)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_each_adapter_present_declares_its_environment_and_the_contract(name):
    trainer = load_trainer(name)
    if isinstance(trainer, str):
        pytest.skip(f"{name}: {trainer}")
    assert isinstance(trainer, Trainer) and trainer.environment.trainer.replace("_", "-").startswith(name)
    import importlib

    adapter = importlib.import_module(trainer.module)
    assert callable(adapter.masker) and callable(adapter.not_applicable)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_each_adapter_s_configurations_start_with_the_defaults(name):
    trainer = load_trainer(name)
    assert not isinstance(trainer, str) or trainer.startswith("no adapter"), trainer  # a bad CONFIGURATIONS says so
    if isinstance(trainer, str):
        pytest.skip(f"{name}: {trainer}")
    assert trainer.configurations[0].name == "defaults" and trainer.configurations[0].options == {}


def test_an_adapter_without_configurations_has_the_defaults_and_bad_ones_are_refused():
    import types

    from harness.conformance.spec import Configuration
    from harness.conformance.trainers import DEFAULTS, configurations_of

    assert configurations_of(types.ModuleType("bare")) == (DEFAULTS,)
    eot = Configuration("eot_tokens", {"eot_tokens": ["<|end|>"]}, "docs", templates=("phi-3.5-mini-instruct",))
    for value, message in [
        ([DEFAULTS], "must be a non-empty tuple of Configuration"),
        ((), "must be a non-empty tuple of Configuration"),
        ((eot,), "must start with the defaults"),
        ((DEFAULTS, {"name": "x"}), "not a Configuration"),
        ((DEFAULTS, eot, eot), r"names \['eot_tokens'\] appear more than once"),
    ]:
        module = types.ModuleType("harness.adapters.x")
        module.CONFIGURATIONS = value
        with pytest.raises(ValueError, match=message):
            configurations_of(module)
    assert not eot.applies_to("qwen3") and eot.applies_to("phi-3.5-mini-instruct")


@pytest.mark.parametrize("fields, message", [
    (dict(name=" ", options={}, documented="d"), "name must be a non-empty string"),
    (dict(name="x", options=[], documented="d"), "options must be a mapping"),
    (dict(name="x", options={"f": object()}, documented="d"), "options must be JSON values"),
    (dict(name="x", options={}, documented=""), "say where the trainer documents it"),
    (dict(name="x", options={}, documented="d", templates="qwen3"), "templates must be a tuple of template names"),
])
def test_a_malformed_configuration_is_refused_naming_it(fields, message):
    from harness.conformance.spec import Configuration

    with pytest.raises(ValueError, match=message):
        Configuration(**fields)
