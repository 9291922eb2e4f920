"""Which masking pipeline a dataset audit judges: a name, or a user's ``module:factory``, as a picklable spec.

- ``trl-sft``: trl's ``SFTTrainer`` data path (``harness.adapters.trl.sft.sft_trainer_masker``: its dataset
  preparation and collator, assistant-only loss);
- ``transformers-assistant-mask``: ``apply_chat_template(return_assistant_tokens_mask=True)``;
- ``none``: no pipeline: only the checks that need none (and the oracle, to know where the turns end);
- a trainer the conformance table covers (``axolotl``, ``llamafactory``, ``openrlhf``, ``skyrl``, ``unsloth``,
  ``verl``), with ``--config NAME`` one of its documented configurations (its adapter's ``CONFIGURATIONS``): the
  audit then runs inside that trainer's cached environment (``harness.audit.cli``);
- ``module:factory``: ``factory(tokenizer, **options)`` returns a masker (``masker(messages, tools) -> {"input_ids",
  "labels"}``); its ``policy`` attribute, if any, is the contract it is judged under.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

BUILT_IN = {
    "trl-sft": "harness.adapters.trl.sft:sft_trainer_masker",
    "transformers-assistant-mask": "harness.adapters.transformers:assistant_tokens_mask_masker",
}
NONE = "none"


class PipelineError(ValueError):
    """A pipeline that cannot be built (unknown name, bad factory, an option it refuses), with the reason."""


@dataclass(frozen=True)
class PipelineSpec:
    """Everything a worker process needs to build the pipeline again: plain strings and JSON values."""

    name: str  # as the user gave it ("trl-sft", "axolotl", "my_pkg.masking:masker")
    factory: str  # "module:function" ("" for none)
    options: Mapping[str, Any] = field(default_factory=dict)
    turns: str | None = None  # "all" | "last": overrides the masker's own policy's turns

    @property
    def label(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in sorted(self.options.items()))
        return self.name + (f" ({options})" if options else "")


def trainer_names() -> list[str]:
    from harness.conformance.trainers import ADAPTERS

    return sorted(ADAPTERS)


def spec_for(name: str, options: Mapping[str, Any] | None = None, *, turns: str | None = None) -> PipelineSpec:
    """The spec of pipeline ``name`` (a trainer's name gives its adapter's masker: run it in its environment)."""
    options = dict(options or {})
    if name == NONE:
        if options:
            raise PipelineError(f"--pipeline none takes no options, got {sorted(options)}")
        return PipelineSpec(NONE, "", {}, turns)
    if name in BUILT_IN:
        return PipelineSpec(name, BUILT_IN[name], options, turns)
    if name in trainer_names():
        return PipelineSpec(name, f"harness.adapters.{name}:masker", options, turns)
    module, colon, function = name.partition(":")
    if not colon or not module or not function:
        raise PipelineError(f"--pipeline {name}: not a known pipeline ({', '.join([*BUILT_IN, NONE, *trainer_names()])})"
                            f" nor module:factory")
    return PipelineSpec(name, name, options, turns)


def build_masker(spec: PipelineSpec, tokenizer) -> Callable | None:
    """The masker of ``spec`` for ``tokenizer`` (None for ``none``)."""
    if not spec.factory:
        return None
    from harness.cli_inputs import CliError, factory_named

    try:
        factory = factory_named(spec.factory, "--pipeline")
    except CliError as error:
        raise PipelineError(str(error)) from None
    try:
        return factory(tokenizer, **dict(spec.options))
    except TypeError as error:
        raise PipelineError(f"--pipeline {spec.name}: {error}") from None


def policy_of(spec: PipelineSpec, masker):
    """The contract the pipeline is judged under: its masker's own ``policy`` (the trainer's documented
    conventions), else the default; ``--turns`` overrides which turns are trained."""
    import dataclasses

    from harness.masking.policy import Policy

    policy = getattr(masker, "policy", None)
    policy = policy if isinstance(policy, Policy) else Policy()
    return dataclasses.replace(policy, turns=spec.turns) if spec.turns else policy
