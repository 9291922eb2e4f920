"""The RL trainers' loss aggregation at the loss: verl's ``loss_agg_mode`` modes, OpenRLHF's and SkyRL's policy losses
(``harness/adapters/{verl,openrlhf,skyrl}/loss.py``), each a pure torch function of the release, run on real tensors in
the trainer's cached environment against its documented normalisation.

Nightly (``slow``): each trainer's ``LOSS_CONFIGURATIONS`` rows and its planted bugs run in one subprocess in its
environment (``python -m harness.loss.runner``'s ``run_row``); each row passes, or fails exactly as its strict xfail
says; each planted bug is caught as its own class. CPU tier: the rows declare every documented mode.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
from pathlib import Path

import pytest

TEMPLATE = "qwen2.5-instruct"
EXAMPLES = 4
ADAPTERS = {"verl": "harness.adapters.verl", "openrlhf": "harness.adapters.openrlhf",
            "skyrl": "harness.adapters.skyrl"}

# Each trainer's documented aggregation modes (the options its release documents; see each adapter's comment).
DOCUMENTED_MODES = {
    "verl": {"loss_agg_mode": {"token-mean", "token-sum", "seq-mean-token-sum", "seq-mean-token-mean",
                               "seq-mean-token-sum-norm"}},
    "openrlhf": {"loss_agg_mode": {"token-mean", "seq-mean-token-mean"}, "policy_loss_type": {"gspo"}},
    "skyrl": {"loss_reduction": {"token_mean", "sequence_mean", "seq_mean_token_sum_norm", "prompt_mean",
                                 "token_mean_legacy"}},
}

# Planted bugs: (trainer, name, the step's options, the normalisation, the failure key the check must raise).
PLANTED = (
    ("verl", "mask not shifted", {"planted": "mask_unshifted"}, "token", "mask_shifted[late]"),
    ("verl", "global batch info missing", {"planted": "local_batch_info"}, "token",
     "token_weight[mean per micro-batch]"),
    ("openrlhf", "action mask ignored", {"planted": "mask_ignored"}, "token", "mask_ignored"),
    ("openrlhf", "micro-batch normalised alone", {"planted": "micro_batch_norm"}, "token",
     "token_weight[mean per micro-batch]"),
    ("skyrl", "advantages not rescaled", {"planted": "unnormalized"}, "token", "token_weight[sum]"),  # each token weight 1: the plain sum
    ("skyrl", "mask not shifted", {"planted": "mask_unshifted"}, "token", "mask_shifted[late]"),
)

# Real library behaviour the rows show (strict xfails; /work/notes/issue24-findings.md).
SAPO_IGNORES_LOSS_AGG_MODE = (
    "verl 0.9.1 core_algos.compute_policy_loss_sapo l. 1687-1690 aggregates with a constant 'seq-mean-token-mean', "
    "dropping the loss_agg_mode it takes and documents (l. 1646-1647): under loss_agg_mode=token-mean each trained "
    "token weighs 1/(R*n_r) instead of 1/N (shrunk step: conversations of 1, 12 and 1 trained tokens, advantages 1.0, "
    "-0.5, 1.5; the lone <|im_end|> of conversations 0 and 2 gets 4.667x the documented weight, each of conversation "
    "1's 12 tokens 0.389x): token_weight[mean per sequence]")
EXPECTED_FAILURES = {("verl", "loss_mode=sapo (loss_agg_mode=token-mean)"): (
    ("token_weight[mean per sequence]",), SAPO_IGNORES_LOSS_AGG_MODE)}

_RUN_ROWS = """
import json, sys
from harness.loss.configurations import LossConfiguration
from harness.loss.runner import run_row
trainer, template, examples, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
for row in rows:
    row["known"] = tuple(row["known"])
    print(run_row(trainer, LossConfiguration(**row), template, examples=examples, seed=0, shrink=False).to_line(),
          flush=True)
"""


def _rows(trainer: str):
    return importlib.import_module(ADAPTERS[trainer]).LOSS_CONFIGURATIONS


def _planted_rows(trainer: str):
    from harness.loss.configurations import LossConfiguration

    module = f"harness.adapters.{trainer}.loss:policy_loss_step"
    return [LossConfiguration(f"planted: {name}", module, normalization, "a planted bug", options=options,
                              check={"max_rounds": 1})
            for t, name, options, normalization, _ in PLANTED if t == trainer]


_CELLS: dict[str, dict] = {}


def _cells(trainer: str) -> dict:
    """Every row of ``trainer`` (its LOSS_CONFIGURATIONS and planted bugs) run once in its environment, by name."""
    if trainer in _CELLS:
        return _CELLS[trainer]
    from harness.conformance.run import runner_env, trainer_environment
    from harness.conformance.trainers import load_trainer
    from harness.guard.running import EnvironmentBuildError
    from harness.loss.table import parse_lines

    loaded = load_trainer(trainer)
    if isinstance(loaded, str):
        pytest.skip(f"{trainer}: {loaded}")
    try:
        environment = trainer_environment(loaded, None, lambda line: None)
    except EnvironmentBuildError as error:
        pytest.skip(f"{loaded.label}'s environment cannot be built here: {str(error).splitlines()[0]}")
    rows = [dataclasses.asdict(row) for row in (*_rows(trainer), *_planted_rows(trainer)) if not row.cannot]
    result = subprocess.run([str(environment.python), "-c", _RUN_ROWS, loaded.label, TEMPLATE, str(EXAMPLES),
                             json.dumps(rows)], capture_output=True, text=True, timeout=3600,
                            env=runner_env(environment), cwd=Path(__file__).resolve().parents[2])
    cells = {cell.configuration: cell for cell in parse_lines(result.stdout)}
    assert len(cells) == len(rows), f"{loaded.label}: the rows' runner stopped (rc {result.returncode}):\n" \
                                    f"{result.stderr[-3000:]}"
    _CELLS[trainer] = cells
    return cells


def _row_params():
    for trainer in ADAPTERS:
        for row in _rows(trainer):
            if row.cannot:
                continue
            marks = ()
            if (trainer, row.name) in EXPECTED_FAILURES:
                marks = pytest.mark.xfail(strict=True, raises=AssertionError,
                                          reason=EXPECTED_FAILURES[(trainer, row.name)][1])
            yield pytest.param(trainer, row.name, marks=marks, id=f"{trainer}:{row.name}")


@pytest.mark.slow
@pytest.mark.parametrize("trainer,name", list(_row_params()))
def test_documented_mode_gives_its_documented_weights(trainer, name, load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    cell = _cells(trainer)[name]
    if cell.status == "error":
        pytest.fail(f"{trainer} {name}: the step errored: {cell.reason}\n{cell.details}")
    expected = EXPECTED_FAILURES.get((trainer, name))
    if expected and cell.status == "fail" and cell.failures != expected[0]:
        pytest.fail(f"{trainer} {name}: fails otherwise than its finding says ({cell.failures}):\n{cell.details}")
    assert cell.status == "pass" and cell.steps >= 1, cell.details


@pytest.mark.slow
@pytest.mark.parametrize("trainer,name,key", [pytest.param(t, n, k, id=f"{t}:{n}") for t, n, _, _, k in PLANTED])
def test_planted_bug_is_caught_as_its_class(trainer, name, key, load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    cell = _cells(trainer)[f"planted: {name}"]
    assert cell.status == "fail", f"{trainer} planted '{name}' was not caught ({cell.status}: {cell.reason})"
    assert key in cell.failures, f"{trainer} planted '{name}': expected {key}, got {cell.failures}\n{cell.details}"


@pytest.mark.cpu
@pytest.mark.parametrize("trainer", sorted(ADAPTERS))
def test_every_documented_mode_has_a_row_citing_the_release(trainer):
    rows = _rows(trainer)
    for option, modes in DOCUMENTED_MODES[trainer].items():
        covered = {row.options.get(option) for row in rows}
        assert modes <= covered, f"{trainer}: documented {option} values without a row: {sorted(modes - covered)}"
    for row in rows:
        assert row.step == f"harness.adapters.{trainer}.loss:policy_loss_step", row
        assert "l. " in row.documented, f"{trainer} {row.name}: cite the release's lines in documented="
    planted = {t for t, *_ in PLANTED}
    assert trainer in planted, f"{trainer} has no planted bug"
