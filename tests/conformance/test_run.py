"""``run_trainer``/``run_conformance`` against stand-in adapters in the running environment (no environment is
built): the runner's results come back as cells (one row per configuration, ``n/a`` where a configuration is
documented for other templates, failures explained), a runner that dies leaves ``error`` cells naming why, and the
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
from tests.conformance import standin_adapter


@pytest.fixture
def in_running_environment(monkeypatch):
    monkeypatch.setattr(conformance_run, "trainer_environment",
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

    monkeypatch.setattr(conformance_run, "trainer_environment", refuse)
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


# Configurations: one row each; n/a where a configuration is documented for other templates; failures explained.

STANDIN = Trainer("tests.conformance.standin_adapter", standin_adapter.ENVIRONMENT, standin_adapter.CONFIGURATIONS)


def test_each_configuration_is_a_row_and_undocumented_templates_are_not_run(in_running_environment, monkeypatch,
                                                                             tmp_path):
    from harness.conformance.known import Finding
    from harness.conformance.results import CellResult

    commands = []

    def runner(command, env, log_path, timeout, on_result):
        commands.append(command)
        lines = [CellResult("standin==2.0", "qwen2.5-instruct", "fail", configuration="leak=always",
                            failures=("no_label_outside_assistant_output[user]",)).line(),
                 CellResult("standin==2.0", "qwen2.5-instruct", "pass", configuration="defaults").line()]
        return 0, "\n".join(lines)

    monkeypatch.setattr(conformance_run, "_run_runner", runner)
    finding = Finding(slug="standin-leak", title="the first token is trained", trainer="standin", version="2.0",
                      kind="defect", upstream_status="searched", configurations=("leak=always",),
                      templates=("qwen2.5-instruct",), classes=("no_label_outside_assistant_output[user]",),
                      content_control_tokens=False, report=True, adapter="standin_adapter")
    _, cells = conformance_run.run_trainer(STANDIN, ["qwen2.5-instruct"], examples=2, seed=0, out_dir=tmp_path,
                                           configurations=["defaults", "leak=always", "llama only"],
                                           findings=[finding], log=lambda line: None)
    (command,) = commands
    assert [command[k + 1] for k, arg in enumerate(command) if arg == "--configuration"] == ["defaults", "leak=always"]
    assert [(c.configuration, c.status, c.reason) for c in cells] == [
        ("defaults", "pass", ""), ("leak=always", "fail", ""),
        ("llama only", "n/a", "configuration documented for llama-3.1-instruct")]
    assert [(v.kind, v.link) for v in cells[1].verdicts] == [("defect", "docs/findings/standin-leak.md")]


def test_a_configuration_the_runner_left_out_is_an_error_cell(in_running_environment, monkeypatch, tmp_path):
    monkeypatch.setattr(conformance_run, "_run_runner", lambda *args: (1, "Traceback\nValueError: boom"))
    _, cells = conformance_run.run_trainer(STANDIN, ["qwen2.5-instruct"], examples=2, seed=0, out_dir=tmp_path,
                                           configurations=["leak=control"], log=lambda line: None)
    assert [(c.configuration, c.status) for c in cells] == [("leak=control", "error")]
    assert "runner exited 1 before this template" in cells[0].reason and "ValueError: boom" in cells[0].reason


def test_the_runner_builds_the_masker_with_the_configuration_s_options(load_tokenizer_or_skip):
    from harness.conformance.runner import run_cell, select_configurations
    from harness.conformance.spec import Configuration

    assert [c.name for c in select_configurations(standin_adapter, ["llama only", "defaults"])] == [
        "defaults", "llama only"]
    llama_only = standin_adapter.CONFIGURATIONS[3]
    cell = run_cell(standin_adapter, "qwen2.5-instruct", examples=1, seed=0, replay_dir=None, configuration=llama_only)
    assert (cell.configuration, cell.status, cell.reason) == (
        "llama only", "n/a", "configuration documented for llama-3.1-instruct")
    load_tokenizer_or_skip("qwen2.5-instruct")
    bad = Configuration("leak=sometimes", {"leak": "sometimes"}, "nowhere")
    cell = run_cell(standin_adapter, "qwen2.5-instruct", examples=1, seed=0, replay_dir=None, configuration=bad)
    assert (cell.configuration, cell.status) == ("leak=sometimes", "error")
    assert cell.reason.startswith("ValueError: leak must be None, 'always' or 'control', got 'sometimes'")


@pytest.mark.slow
def test_the_stand_in_s_rows_in_its_own_runner(in_running_environment, tmp_path, load_tokenizer_or_skip):
    load_tokenizer_or_skip("qwen2.5-instruct")
    run = conformance_run.run_conformance([STANDIN], ["qwen2.5-instruct"], examples=10, out_dir=tmp_path,
                                          findings=[], log=lambda line: None)
    by_configuration = {c.configuration: c for c in run.results}
    assert by_configuration["defaults"].status == "pass"
    assert by_configuration["leak=always"].failures and not by_configuration["leak=always"].control_only
    control = by_configuration["leak=control"]
    assert control.failures and control.control_only == control.failures
    assert {v.kind for v in control.verdicts} == {"unexplained"}
    assert by_configuration["llama only"].status == "n/a"
    assert "control tokens only: unexplained: `no_label_outside_assistant_output" in (
        tmp_path / "conformance.md").read_text()


def _pass_runner(command, env, log_path, timeout, on_result):
    from harness.conformance.results import CellResult

    configurations = [command[k + 1] for k, arg in enumerate(command) if arg == "--configuration"]
    templates = [command[k + 1] for k, arg in enumerate(command) if arg == "--template"]
    return 0, "\n".join(CellResult("standin==2.0", t, "pass", configuration=c).line()
                         for c in configurations for t in templates)


def test_trainers_run_side_by_side_and_each_one_done_is_written_at_once(in_running_environment, monkeypatch,
                                                                          tmp_path):
    monkeypatch.setattr(conformance_run, "_run_runner", _pass_runner)
    other = Trainer("tests.conformance.standin_adapter", TrainerEnvironment("standin", "2.0", ("standin==2.0",)),
                    standin_adapter.CONFIGURATIONS[:1])
    summaries = []
    run = conformance_run.run_conformance([STANDIN, other], ["qwen2.5-instruct"], examples=2, out_dir=tmp_path,
                                          findings=[], jobs=2, log=lambda line: None,
                                          progress=lambda r: summaries.append(conformance_run.run_summary(r)))
    assert len(summaries) == 3 and "still running: 1 of 2 trainers done" in summaries[0]
    assert "still running" not in summaries[-1] and run.finished
    assert [(c.configuration, c.status) for c in run.results] == [
        ("defaults", "pass"), ("leak=always", "pass"), ("leak=control", "pass"), ("llama only", "n/a"),
        ("defaults", "pass")]
    with pytest.raises(ValueError, match="jobs must be a positive number"):
        conformance_run.run_conformance([STANDIN], ["qwen3"], out_dir=tmp_path, findings=[], jobs=0)


def test_an_earlier_run_is_explained_again_with_the_registry_as_it_is_now(in_running_environment, monkeypatch,
                                                                          tmp_path):
    import dataclasses

    from harness.conformance.known import Finding
    from harness.conformance.results import CellResult

    leak = "no_label_outside_assistant_output[user]"

    def runner(command, env, log_path, timeout, on_result):
        return 0, CellResult("standin==2.0", "qwen2.5-instruct", "fail", configuration="defaults",
                             failures=(leak,)).line()

    monkeypatch.setattr(conformance_run, "_run_runner", runner)
    conformance_run.run_conformance([STANDIN], ["qwen2.5-instruct"], examples=2, out_dir=tmp_path, findings=[],
                                    configurations=["defaults"], log=lambda line: None)
    earlier = conformance_run.load_run(tmp_path / "conformance.json")
    assert [v.kind for v in earlier.results[0].verdicts] == ["unexplained"] and earlier.examples == 2
    finding = Finding(slug="standin-leak", title="t", trainer="standin", version="2.0", kind="convention",
                      option="leak", upstream_status="s", configurations=("defaults",), templates=("qwen2.5-instruct",),
                      classes=(leak,), content_control_tokens=False, report=False, adapter="standin_adapter")
    again = conformance_run.reclassify(earlier, [STANDIN], [finding])
    assert [v.label for v in again.results[0].verdicts] == ["convention: leak"]
    with pytest.raises(ValueError, match=r"cells of \['standin==2.0'\]: no adapter runs that release now"):
        conformance_run.reclassify(earlier, [dataclasses.replace(STANDIN, module="tests.conformance.x",
                                   environment=TrainerEnvironment("x", "1", ("x==1",)))], [finding])


def test_a_trainer_run_again_replaces_its_cells_and_the_cli_writes_the_table_from_the_files(tmp_path, capsys):
    from harness.cli import main
    from harness.conformance.results import CellResult

    def run_of(status: str, wall: float, trainer: str = "axolotl==0.21.0") -> conformance_run.ConformanceRun:
        return conformance_run.ConformanceRun(results=[CellResult(trainer, "qwen3", status, reason="r")],
                                              examples=3, seed=0, wall_seconds=wall, finished="2026-12-07 20:00 UTC")

    merged = conformance_run.merge_runs([run_of("error", 10), run_of("pass", 5)])
    assert [c.status for c in merged.results] == ["pass"] and merged.wall_seconds == 15
    with pytest.raises(ValueError, match="other -n/seed"):
        conformance_run.merge_runs([run_of("pass", 1), conformance_run.ConformanceRun(examples=9)])
    first, second = tmp_path / "a", tmp_path / "b"
    conformance_run.write_outputs(run_of("pass", 60, "verl==0.9.1"), first)
    conformance_run.write_outputs(run_of("n/a", 60), second)
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- conformance-table -->\nold\n<!-- /conformance-table -->\n")
    assert main(["conformance", "--from-json", str(first / "conformance.json"), "--from-json",
                 str(second / "conformance.json"), "--out", str(tmp_path / "c"), "--readme", str(readme)]) == 0
    table = readme.read_text()
    assert "`-n 3` conversations per search round, seed 0, 2 cells, wall time 2 min" in table
    assert table.index("| axolotl==0.21.0 | defaults | n/a: r |") < table.index("| verl==0.9.1 |") and "old" not in table
