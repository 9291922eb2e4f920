"""axolotl's ``sample_packing`` and LlamaFactory's ``neat_packing`` at the loss (``harness.adapters.axolotl.loss``,
``harness.adapters.llamafactory.loss``): each row of their ``LOSS_CONFIGURATIONS`` that runs on CPU goes through the
loss table's runner (``python -m harness.loss.runner``) in the trainer's cached environment (nightly).

Both trainers isolate the packed conversations on CPU (eager, sdpa, and axolotl's flex_attention): position ids
restart per conversation and each conversation's hidden states equal its own alone; every trained token weighs 1/N
over the step. What fails is known label behaviour the masking conformance already reports, on the conversations it
is about: axolotl drops a conversation whose assistant turns are all empty (nothing of it is trained,
``axolotl-empty-assistant-turn-end-token-untrained``); LlamaFactory renders an empty system prompt as its default
one (``llamafactory-empty-system-prompt-means-none``). flash_attention_2 rows are ``n/a`` (CUDA only).
LlamaFactory's plain ``packing`` (no ``neat_packing``) is documented as packing with cross-attention: its row must
show ``cross_row_attention`` (the check catches a real trainer's packed rows attending across).
"""

from __future__ import annotations

import importlib
import subprocess

import pytest

from harness.loss.runner import loss_configurations

TEMPLATE = "qwen2.5-instruct"
TRAINERS = ("axolotl", "llamafactory")

# Per trainer: the failure class its known label finding produces at the loss, and what the shrunk failing step
# holds (the conversation the finding is about, as the report prints it).
KNOWN_AT_THE_LOSS = {
    "axolotl": ("rows_match_rendering", '[1] {"role": "assistant", "content": ""}'),
    "llamafactory": ("rows_match_rendering", '[0] {"role": "system", "content": ""}'),
}
# Rows whose documented behaviour is a failure of the check: the classes that must show.
DOCUMENTED_FAILURES = {("llamafactory", "packing (flash_attn=sdpa)"): {"cross_row_attention"}}


def _rows(trainer: str):
    return loss_configurations(importlib.import_module(f"harness.adapters.{trainer}"))


def test_packing_rows_are_declared_without_importing_the_trainers():
    import sys

    for trainer in TRAINERS:
        rows = _rows(trainer)
        assert any(not r.cannot for r in rows) and any(r.cannot for r in rows), trainer
        for row in rows:
            module, _, function = row.step.partition(":")
            assert callable(getattr(importlib.import_module(module), function)), row.step
            assert not row.cannot or " l. " in row.cannot, f"{row.name}: cite file and line of why it cannot run"
            assert row.normalization == "token", row.name
            if not row.cannot:  # a step's conversations fit one packed row: the row length is the step's token cap
                length = row.options.get("sequence_len", row.options.get("cutoff_len"))
                assert length and length == row.check.get("max_step_tokens"), row.name
        assert trainer not in sys.modules, f"declaring {trainer}'s rows imported it"


@pytest.mark.parametrize("factory", ["harness.adapters.axolotl.loss:sample_packing_step",
                                     "harness.adapters.llamafactory.loss:packing_step"])
def test_packing_steps_refuse_an_attention_without_a_cpu_step(factory):
    module, _, function = factory.partition(":")
    with pytest.raises(ValueError, match="flash_attention_2"):
        getattr(importlib.import_module(module), function)(None, attn_implementation="flash_attention_2")


def _environment_or_skip(trainer: str):
    from harness.conformance.run import runner_env, trainer_environment
    from harness.conformance.trainers import load_trainer
    from harness.guard.running import EnvironmentBuildError

    loaded = load_trainer(trainer)
    if isinstance(loaded, str):
        pytest.skip(f"{trainer}: {loaded}")
    try:
        environment = trainer_environment(loaded, None, lambda line: None)
    except EnvironmentBuildError as error:
        pytest.skip(f"{trainer}'s environment cannot be built here: {str(error).splitlines()[0]}")
    return loaded, environment, runner_env(environment)


RUNNABLE = [(trainer, row.name) for trainer in TRAINERS for row in _rows(trainer) if not row.cannot]


@pytest.mark.slow
@pytest.mark.parametrize(("trainer", "configuration"), RUNNABLE)
def test_packed_conversations_train_as_alone_in_the_trainers_environment(trainer, configuration,
                                                                         load_tokenizer_or_skip):
    from harness.loss.table import parse_lines

    load_tokenizer_or_skip(TEMPLATE)
    loaded, environment, env = _environment_or_skip(trainer)
    command = [str(environment.python), "-m", "harness.loss.runner", "--adapter", loaded.module, "--trainer",
               loaded.label, "--template", TEMPLATE, "--configuration", configuration, "-n", "3", "--seed", "0", "--no-shrink"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1500, env=env)
    cells = parse_lines(result.stdout)
    assert len(cells) == 1, f"runner exited {result.returncode}:\n{(result.stdout + result.stderr)[-3000:]}"
    (cell,) = cells
    assert cell.status in ("pass", "fail"), f"{configuration}: {cell.status}: {cell.reason}\n{cell.details[-2000:]}"
    assert cell.packed_steps >= 1 and cell.isolated_steps >= 1, f"no packed step was judged:\n{cell.details}"
    known_class, shown = KNOWN_AT_THE_LOSS[trainer]
    documented = DOCUMENTED_FAILURES.get((trainer, configuration), set())
    assert documented <= set(cell.failures) <= {known_class} | documented, cell.details
    assert known_class not in cell.failures or shown in cell.details, cell.details
