"""For the trainers' tests (``tests/adapters/<trainer>/``): a trainer's masker output on fixed conversations, run in
its cached environment (``harness.conformance.run.masker_outputs``), or a skip naming why the environment cannot be
built. Each environment is built (or found) once per session."""

from __future__ import annotations

import functools

import pytest

from harness.conformance.trainers import load_trainer


@functools.lru_cache(maxsize=None)
def _environment_problem(name: str) -> str | None:
    from harness.conformance.run import trainer_environment
    from harness.guard.running import EnvironmentBuildError

    trainer = load_trainer(name)
    if isinstance(trainer, str):
        return trainer
    try:
        trainer_environment(trainer, None, lambda line: None)
    except EnvironmentBuildError as error:
        return str(error).splitlines()[0]
    return None


def outputs_or_skip(name: str, template: str, conversations: list[dict], **options) -> list[dict]:
    """``[{"input_ids", "labels"} or {"error"}]`` of trainer ``name``'s masker (built with ``options``) on
    tokenizer ``template``; skips where the tokenizer is missing or the environment cannot be built."""
    from harness.assets.tokenizers import find_tokenizer, missing_reason
    from harness.conformance.run import masker_outputs

    if find_tokenizer(template) is None:
        pytest.skip(missing_reason(template))
    problem = _environment_problem(name)
    if problem:
        pytest.skip(f"{name}'s environment cannot be built: {problem}")
    return masker_outputs(load_trainer(name), template, conversations, options=options, log=lambda line: None)


def replaying(output: dict):
    """A masker that returns ``output`` (what the trainer produced in its environment), for ``judge``."""
    def masker(messages, tools):
        if "error" in output:
            raise RuntimeError(output["error"])
        return output
    return masker
