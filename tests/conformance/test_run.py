"""``run_trainer``/``run_conformance`` against a stand-in adapter in the running environment (no environment is
built): the runner's results come back as cells, a runner that dies leaves ``error`` cells naming why, and the
JSON and markdown files are written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.conformance import run as conformance_run
from harness.conformance.spec import TrainerEnvironment
from harness.conformance.trainers import Trainer
from harness.guard.environments import Environment
from harness.guard.running import EnvironmentBuildError


@pytest.fixture
def in_running_environment(monkeypatch):
    monkeypatch.setattr(conformance_run, "_environment",
                        lambda trainer, cache_dir, log: Environment(trainer.label, Path(sys.executable), (), {}))


def test_a_runner_that_dies_leaves_error_cells_naming_its_exit(in_running_environment, tmp_path):
    trainer = Trainer("tests.conformance.no_such_adapter", TrainerEnvironment("ghost", "1.0", ("ghost==1.0",)))
    record, cells = conformance_run.run_trainer(trainer, ["qwen2.5-instruct", "qwen3"], examples=2, seed=0,
                                                out_dir=tmp_path, log=lambda line: None)
    assert [(c.template, c.status) for c in cells] == [("qwen2.5-instruct", "error"), ("qwen3", "error")]
    assert "runner exited 1 before this template" in cells[0].reason
    assert "No module named 'tests.conformance.no_such_adapter'" in cells[0].reason
    assert Path(record.log).read_text().count("ModuleNotFoundError") == 1


def test_an_environment_that_cannot_be_built_leaves_error_cells(monkeypatch, tmp_path):
    def refuse(trainer, cache_dir, log):
        raise EnvironmentBuildError("command failed (1): uv pip install ghost==1.0\nno such package")

    monkeypatch.setattr(conformance_run, "_environment", refuse)
    trainer = Trainer("tests.conformance.reference_adapter", TrainerEnvironment("ghost", "1.0", ("ghost==1.0",)))
    _, cells = conformance_run.run_trainer(trainer, ["qwen3"], examples=2, seed=0, out_dir=tmp_path, log=lambda l: None)
    assert [(c.status, c.reason) for c in cells] == [
        ("error", "environment: command failed (1): uv pip install ghost==1.0")]


@pytest.mark.slow
def test_the_reference_adapter_passes_and_an_unknown_template_is_not_applicable(in_running_environment, tmp_path,
                                                                                 load_tokenizer_or_skip):
    load_tokenizer_or_skip("qwen2.5-instruct")
    load_tokenizer_or_skip("qwen3")
    trainer = Trainer("tests.conformance.reference_adapter",
                      TrainerEnvironment("reference", "1.0", ("reference==1.0",)))
    run = conformance_run.run_conformance([trainer], ["qwen2.5-instruct", "qwen3"], examples=5, out_dir=tmp_path,
                                          log=lambda line: None)
    assert [(c.template, c.status, c.reason) for c in run.results] == [
        ("qwen2.5-instruct", "pass", ""), ("qwen3", "n/a", "no stop token known for qwen3")]
    written = json.loads((tmp_path / "conformance.json").read_text())
    assert [r["status"] for r in written["results"]] == ["pass", "n/a"] and written["examples"] == 5
    assert "| qwen2.5-instruct | pass |" in (tmp_path / "conformance.md").read_text()
