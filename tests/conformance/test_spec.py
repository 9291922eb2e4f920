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
