"""A stand-in trainer adapter for the conformance machinery's own tests: the harness's independent correct masker
(harness/testing/reference.py) behind the adapter contract, in the running environment (nothing to install)."""

from __future__ import annotations

from harness.conformance.spec import TrainerEnvironment
from harness.masking.policy import Policy

ENVIRONMENT = TrainerEnvironment("reference", "1.0", ("reference==1.0",))
STOPS = {"qwen2.5-instruct": "<|im_end|>", "llama-3.1-instruct": "<|eot_id|>"}


def not_applicable(tokenizer) -> str | None:
    name = tokenizer.name_or_path.rstrip("/").rsplit("/", 1)[-1]
    return None if name in STOPS else f"no stop token known for {name}"


def masker(tokenizer, cfg=None, **options):
    from harness.testing.reference import correct_masker

    run = correct_masker(tokenizer, STOPS[tokenizer.name_or_path.rstrip("/").rsplit("/", 1)[-1]])

    def masked(messages, tools):
        return run(messages, tools)

    masked.policy = Policy()
    masked.trainer = ENVIRONMENT.label
    return masked
