"""A stand-in trainer adapter with configurations, for the conformance machinery's own tests (nothing to install).

``masker(tokenizer, leak=None)``: the harness's reference masker (correct), except that with ``leak="always"`` it
also trains the first token of the conversation (a system or user token: ``no_label_outside_assistant_output``),
and with ``leak="control"`` it does so only when a message content spells one of the tokenizer's control tokens.
"""

from __future__ import annotations

from harness.conformance.spec import Configuration, TrainerEnvironment
from harness.masking.policy import Policy
from tests.conformance.reference_adapter import STOPS, not_applicable  # noqa: F401 (the adapter contract)

ENVIRONMENT = TrainerEnvironment("standin", "2.0", ("standin==2.0",))
CONFIGURATIONS = (
    Configuration("defaults", {}, "standin docs: defaults"),
    Configuration("leak=always", {"leak": "always"}, "standin docs: leak"),
    Configuration("leak=control", {"leak": "control"}, "standin docs: leak"),
    Configuration("llama only", {}, "standin docs: llama", templates=("llama-3.1-instruct",)),
)


def masker(tokenizer, leak: str | None = None):
    from harness.adapters.transformers import special_token_strings
    from harness.testing.reference import correct_masker

    if leak not in (None, "always", "control"):
        raise ValueError(f"leak must be None, 'always' or 'control', got {leak!r}")
    run = correct_masker(tokenizer, STOPS[tokenizer.name_or_path.rstrip("/").rsplit("/", 1)[-1]])
    controls = special_token_strings(tokenizer)

    def masked(messages, tools):
        out = run(messages, tools)
        spelled = any(isinstance(m.get("content"), str) and any(c in m["content"] for c in controls) for m in messages)
        if leak == "always" or (leak == "control" and spelled):
            labels = list(out["labels"])
            labels[0] = out["input_ids"][0]
            out = {**out, "labels": labels}
        return out

    masked.policy = Policy()
    return masked
