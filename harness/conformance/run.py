"""``run_conformance``: builds (or reuses) each trainer's environment and runs the contract there per template.

One cached ``uv`` environment per trainer release (``harness.guard.environments.ensure_environment``: over the
running environment's torch, the adapter's requirements installed ``--no-deps``), then one runner process per
trainer (``python -m harness.conformance.runner`` with that environment's interpreter, the harness importable
from this checkout) that prints one result per template. A trainer whose environment cannot be built, or whose
runner dies, gets ``error`` cells naming why; the others still run.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import harness
from harness.conformance.results import CellResult, RunnerOutputError, parse_lines
from harness.conformance.table import format_markdown
from harness.conformance.trainers import Trainer

_HARNESS_ROOT = str(Path(harness.__file__).resolve().parents[1])


@dataclass
class TrainerRun:
    label: str
    environment: str = ""  # the environment's folder ("" when it could not be built)
    installed: tuple[str, ...] = ()
    build_seconds: float = 0.0  # building or finding the cached environment
    run_seconds: float = 0.0  # the runner process, all templates
    log: str = ""  # the runner's output (the trainer's logging included)


@dataclass
class ConformanceRun:
    results: list[CellResult] = field(default_factory=list)
    trainers: list[TrainerRun] = field(default_factory=list)
    examples: int = 0
    seed: int = 0

    def to_json(self) -> dict:
        return {"examples": self.examples, "seed": self.seed,
                "trainers": [vars(t) | {"installed": list(t.installed)} for t in self.trainers],
                "results": [r.to_json() for r in self.results]}


def _environment(trainer: Trainer, cache_dir: Path | None, log):
    from harness.guard.environments import DEFAULT_CACHE_DIR, ensure_environment

    spec = trainer.environment
    return ensure_environment(spec.requirements, name=spec.label, no_deps=True, env=dict(spec.env), python=spec.python,
                              report=("transformers", "tokenizers", spec.trainer),
                              cache_dir=cache_dir or DEFAULT_CACHE_DIR, log=log)


def _run_runner(command: list[str], env: dict, log_path: Path, timeout: float | None, on_result) -> tuple[int, str]:
    """Runs the runner, passing each result line to ``on_result`` as it comes; (exit code, whole output)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    timer = threading.Timer(timeout, process.kill) if timeout else None
    if timer:
        timer.start()
    lines = []
    with open(log_path, "w", encoding="utf-8") as handle:
        for line in process.stdout:
            handle.write(line)
            lines.append(line)
            if line.startswith("HARNESS-CONFORMANCE "):
                handle.flush()  # the log is readable while the next template runs
                on_result(line)
    code = process.wait()
    if timer:
        timer.cancel()
    return code, "".join(lines)


def run_trainer(trainer: Trainer, templates: Sequence[str], *, examples: int, seed: int, out_dir: Path,
                cache_dir: Path | None = None, timeout: float | None = None,
                log=print) -> tuple[TrainerRun, list[CellResult]]:
    """The cells of one trainer (every template), with how long its environment and its runner took."""
    from harness.guard.running import EnvironmentBuildError

    record = TrainerRun(trainer.label)
    started = time.perf_counter()
    try:
        environment = _environment(trainer, cache_dir, log)
    except EnvironmentBuildError as error:
        record.build_seconds = round(time.perf_counter() - started, 1)
        reason = "environment: " + str(error).splitlines()[0]
        return record, [CellResult(trainer.label, t, "error", reason=reason) for t in templates]
    record.build_seconds = round(time.perf_counter() - started, 1)
    record.environment, record.installed = str(environment.path or ""), tuple(environment.installed)
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / f"{trainer.label}.log"
    command = [str(environment.python), "-m", "harness.conformance.runner", "--adapter", trainer.module,
               "-n", str(examples), "--seed", str(seed), "--replay-dir", str(out_dir / "replays" / trainer.label)]
    command += [arg for template in templates for arg in ("--template", template)]
    env = _runner_env(environment)

    def announce(line: str) -> None:
        try:
            (cell,) = parse_lines(line)
        except (RunnerOutputError, ValueError):
            return
        log(f"[{trainer.label}] {cell.template}: {cell.cell} ({cell.seconds} s)")

    started = time.perf_counter()
    code, output = _run_runner(command, env, log_path, timeout, announce)
    record.run_seconds, record.log = round(time.perf_counter() - started, 1), str(log_path)
    try:
        cells = {cell.template: cell for cell in parse_lines(output)}
    except RunnerOutputError as error:
        cells, code = {}, f"{code} ({error})"
    tail = " | ".join(line for line in output.strip().splitlines()[-3:] if not line.startswith("HARNESS-CONFORMANCE"))
    reason = (f"runner exited {code}" + (" (timed out)" if timeout and record.run_seconds >= timeout else "")
              + f" before this template (log {log_path})" + (f": {tail[-300:]}" if tail else ""))
    return record, [cells.get(t) or CellResult(trainer.label, t, "error", reason=reason) for t in templates]


def masker_outputs(trainer: Trainer, template: str, conversations: Sequence[dict], *, options: dict | None = None,
                   cache_dir: Path | None = None, timeout: float | None = 600, log=print) -> list[dict]:
    """The trainer's masker output (``{"input_ids", "labels"}``, or ``{"error"}`` where it raised) for each of
    ``conversations`` (``{"messages", "tools"}``) on tokenizer ``template``, run in the trainer's environment.
    Raises ``EnvironmentBuildError`` when the environment cannot be built, RuntimeError when the runner fails."""
    import tempfile

    from harness.conformance.runner import OUTPUT_PREFIX

    environment = _environment(trainer, cache_dir, log)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conversations.json"
        path.write_text(json.dumps(list(conversations)), encoding="utf-8")
        command = [str(environment.python), "-m", "harness.conformance.runner", "--adapter", trainer.module,
                   "--template", template, "--conversations", str(path), "--options", json.dumps(options or {})]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=_runner_env(environment))
    outputs = [json.loads(line[len(OUTPUT_PREFIX):]) for line in result.stdout.splitlines()
               if line.startswith(OUTPUT_PREFIX)]
    if result.returncode or len(outputs) != len(conversations):
        raise RuntimeError(f"{trainer.label} runner exited {result.returncode} with {len(outputs)} of "
                           f"{len(conversations)} outputs:\n{(result.stdout + result.stderr)[-3000:]}")
    return outputs


def _runner_env(environment) -> dict:
    pythonpath = os.pathsep.join(filter(None, [_HARNESS_ROOT, os.environ.get("PYTHONPATH")]))
    return environment.subprocess_env({**os.environ, "PYTHONPATH": pythonpath, "TOKENIZERS_PARALLELISM": "false"})


def run_conformance(trainers: Sequence[Trainer], templates: Sequence[str], *, examples: int = 50, seed: int = 0,
                    out_dir: Path, cache_dir: Path | None = None, timeout: float | None = None,
                    log=print) -> ConformanceRun:
    """Every trainer x template; writes ``conformance.json`` and ``conformance.md`` under ``out_dir``."""
    run = ConformanceRun(examples=examples, seed=seed)
    for trainer in trainers:
        record, cells = run_trainer(trainer, templates, examples=examples, seed=seed, out_dir=out_dir,
                                    cache_dir=cache_dir, timeout=timeout, log=log)
        log(f"[{trainer.label}] environment {record.build_seconds} s, runner {record.run_seconds} s")
        run.trainers.append(record)
        run.results += cells
    write_outputs(run, out_dir)
    return run


def write_outputs(run: ConformanceRun, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "conformance.json", out_dir / "conformance.md"
    json_path.write_text(json.dumps(run.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(f"Conformance of trainers' masking ({run.examples} conversations per search round, seed "
                       f"{run.seed}):\n\n{format_markdown(run.results)}\n", encoding="utf-8")
    return json_path, md_path
