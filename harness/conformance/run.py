"""``run_conformance``: builds (or reuses) each trainer's environment and runs the contract there per configuration
and template.

One cached ``uv`` environment per trainer release (``harness.guard.environments.ensure_environment``: over the
running environment's torch, the adapter's requirements installed ``--no-deps``), then one runner process per
trainer (``python -m harness.conformance.runner`` with that environment's interpreter, the harness importable
from this checkout) that prints one result per configuration and template. A trainer whose environment cannot be
built, or whose runner dies, gets ``error`` cells naming why; the others still run. Each failure class of a cell is
then explained by the findings registry (``verdicts.classify``).
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
from harness.conformance.known import Finding
from harness.conformance.results import CellResult, RunnerOutputError, parse_lines
from harness.conformance.table import format_details, format_markdown
from harness.conformance.trainers import Trainer, not_documented_for
from harness.conformance.verdicts import classify

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
    wall_seconds: float = 0.0  # the whole run, environments included
    cpus: int = field(default_factory=lambda: os.cpu_count() or 0)
    finished: str = ""  # UTC, to the minute ("" while the run goes on)
    planned: int = 0  # trainers asked for (``trainers`` holds those done)
    jobs: int = 0  # trainers run at a time (0: not recorded)

    def to_json(self) -> dict:
        return {"examples": self.examples, "seed": self.seed, "wall_seconds": self.wall_seconds, "cpus": self.cpus,
                "finished": self.finished, "planned": self.planned, "jobs": self.jobs,
                "trainers": [vars(t) | {"installed": list(t.installed)} for t in self.trainers],
                "results": [r.to_json() for r in self.results]}


def trainer_environment(trainer: Trainer, cache_dir: Path | None, log):
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
                cache_dir: Path | None = None, timeout: float | None = None, configurations: Sequence[str] = (),
                findings: Sequence[Finding] = (), log=print) -> tuple[TrainerRun, list[CellResult]]:
    """The cells of one trainer (each of its configurations, ``configurations`` only where given, x every
    template), their failures explained by ``findings``, with how long its environment and its runner took."""
    from harness.guard.running import EnvironmentBuildError

    chosen = [c for c in trainer.configurations if not configurations or c.name in configurations]
    record = TrainerRun(trainer.label)
    # n/a where a configuration is documented for other templates: known here, the runner is not asked.
    cells: dict[tuple[str, str], CellResult] = {
        (c.name, t): CellResult(trainer.label, t, "n/a", configuration=c.name, reason=not_documented_for(c, t))
        for c in chosen for t in templates if not_documented_for(c, t)}
    to_run = [c for c in chosen if any((c.name, t) not in cells for t in templates)]
    run_templates = [t for t in templates if any((c.name, t) not in cells for c in to_run)]

    def ordered(found: dict[tuple[str, str], CellResult], reason: str) -> list[CellResult]:
        out = [found.get((c.name, t)) or CellResult(trainer.label, t, "error", configuration=c.name, reason=reason)
               for c in chosen for t in templates]
        return [classify(cell, findings, adapter=trainer.adapter) for cell in out]

    if not to_run:
        return record, ordered(cells, "")
    started = time.perf_counter()
    try:
        environment = trainer_environment(trainer, cache_dir, log)
    except EnvironmentBuildError as error:
        record.build_seconds = round(time.perf_counter() - started, 1)
        return record, ordered(cells, "environment: " + str(error).splitlines()[0])
    record.build_seconds = round(time.perf_counter() - started, 1)
    record.environment, record.installed = str(environment.path or ""), tuple(environment.installed)
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / f"{trainer.label}.log"
    command = [str(environment.python), "-m", "harness.conformance.runner", "--adapter", trainer.module,
               "-n", str(examples), "--seed", str(seed), "--replay-dir", str(out_dir / "replays" / trainer.label)]
    command += [arg for template in run_templates for arg in ("--template", template)]
    command += [arg for c in to_run for arg in ("--configuration", c.name)]
    env = runner_env(environment)

    def announce(line: str) -> None:
        try:
            (cell,) = parse_lines(line)
        except (RunnerOutputError, ValueError):
            return
        log(f"[{trainer.label} {cell.configuration}] {cell.template}: {cell.cell} ({cell.seconds} s)")

    started = time.perf_counter()
    code, output = _run_runner(command, env, log_path, timeout, announce)
    record.run_seconds, record.log = round(time.perf_counter() - started, 1), str(log_path)
    try:
        cells |= {(cell.configuration, cell.template): cell for cell in parse_lines(output)
                  if (cell.configuration, cell.template) not in cells}
    except RunnerOutputError as error:
        code = f"{code} ({error})"
    tail = " | ".join(line for line in output.strip().splitlines()[-3:] if not line.startswith("HARNESS-CONFORMANCE"))
    reason = (f"runner exited {code}" + (" (timed out)" if timeout and record.run_seconds >= timeout else "")
              + f" before this template (log {log_path})" + (f": {tail[-300:]}" if tail else ""))
    return record, ordered(cells, reason)


def masker_outputs(trainer: Trainer, template: str, conversations: Sequence[dict], *, options: dict | None = None,
                   cache_dir: Path | None = None, timeout: float | None = 600, log=print) -> list[dict]:
    """The trainer's masker output (``{"input_ids", "labels"}``, or ``{"error"}`` where it raised) for each of
    ``conversations`` (``{"messages", "tools"}``) on tokenizer ``template``, run in the trainer's environment.
    Raises ``EnvironmentBuildError`` when the environment cannot be built, RuntimeError when the runner fails."""
    import tempfile

    from harness.conformance.runner import OUTPUT_PREFIX

    environment = trainer_environment(trainer, cache_dir, log)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conversations.json"
        path.write_text(json.dumps(list(conversations)), encoding="utf-8")
        command = [str(environment.python), "-m", "harness.conformance.runner", "--adapter", trainer.module,
                   "--template", template, "--conversations", str(path), "--options", json.dumps(options or {})]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=runner_env(environment))
    outputs = [json.loads(line[len(OUTPUT_PREFIX):]) for line in result.stdout.splitlines()
               if line.startswith(OUTPUT_PREFIX)]
    if result.returncode or len(outputs) != len(conversations):
        raise RuntimeError(f"{trainer.label} runner exited {result.returncode} with {len(outputs)} of "
                           f"{len(conversations)} outputs:\n{(result.stdout + result.stderr)[-3000:]}")
    return outputs


def runner_env(environment) -> dict:
    pythonpath = os.pathsep.join(filter(None, [_HARNESS_ROOT, os.environ.get("PYTHONPATH")]))
    return environment.subprocess_env({**os.environ, "PYTHONPATH": pythonpath, "TOKENIZERS_PARALLELISM": "false"})


def run_conformance(trainers: Sequence[Trainer], templates: Sequence[str], *, examples: int = 50, seed: int = 0,
                    out_dir: Path, cache_dir: Path | None = None, timeout: float | None = None,
                    configurations: Sequence[str] = (), findings: Sequence[Finding] | None = None, jobs: int = 1,
                    progress=None, log=print) -> ConformanceRun:
    """Every trainer x configuration (``configurations`` only where given) x template, each failure class explained
    by ``findings`` (default: the registry, ``known.load_findings()``), ``jobs`` trainers' runners at a time; writes
    ``conformance.json`` and ``conformance.md`` under ``out_dir`` as each trainer finishes (a run cut short leaves the
    table of those done, its summary saying how many trainers it holds) and at the end, each time also calling
    ``progress(run)`` where given."""
    from concurrent.futures import ThreadPoolExecutor

    if findings is None:
        from harness.conformance.known import load_findings

        findings = load_findings()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive number of trainers run at a time, got {jobs!r}")
    started = time.perf_counter()
    run = ConformanceRun(examples=examples, seed=seed, planned=len(trainers), jobs=jobs)
    done: dict[int, tuple[TrainerRun, list[CellResult]]] = {}
    lock = threading.Lock()

    def one(number: int, trainer: Trainer) -> None:
        record, cells = run_trainer(trainer, templates, examples=examples, seed=seed, out_dir=out_dir,
                                    cache_dir=cache_dir, timeout=timeout, configurations=configurations,
                                    findings=findings, log=log)
        log(f"[{trainer.label}] environment {record.build_seconds} s, runner {record.run_seconds} s")
        with lock:
            done[number] = record, cells
            _collect(run, done, started)
            write_outputs(run, out_dir)
            if progress is not None:
                progress(run)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(one, number, trainer) for number, trainer in enumerate(trainers)]:
            future.result()
    _collect(run, done, started)
    run.finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    write_outputs(run, out_dir)
    if progress is not None:
        progress(run)
    return run


def _collect(run: ConformanceRun, done: dict, started: float) -> None:
    """``run``'s trainers and cells: those of the trainers done so far, in the order they were asked for."""
    run.trainers = [done[k][0] for k in sorted(done)]
    run.results = [cell for k in sorted(done) for cell in done[k][1]]
    run.wall_seconds = round(time.perf_counter() - started, 1)


def load_run(path: Path) -> ConformanceRun:
    """A ``conformance.json`` read back (its cells' verdicts as they were written)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    fields = {key: data[key] for key in ("examples", "seed", "wall_seconds", "cpus", "finished", "planned", "jobs")
              if key in data}
    run = ConformanceRun(**fields)
    run.trainers = [TrainerRun(**(t | {"installed": tuple(t.get("installed", ()))})) for t in data.get("trainers", [])]
    run.results = [CellResult.from_json(cell) for cell in data.get("results", [])]
    return run


def merge_runs(runs: Sequence[ConformanceRun]) -> ConformanceRun:
    """One run of several made with the same ``-n`` and seed (a trainer run again after its adapter changed): a
    later run's cell replaces an earlier one's for the same trainer, configuration and template; wall times add up."""
    first = runs[0]
    differing = [(r.examples, r.seed) for r in runs if (r.examples, r.seed) != (first.examples, first.seed)]
    if differing:
        raise ValueError(f"runs made with other -n/seed than the first's ({first.examples}, {first.seed}): {differing}")
    cells: dict[tuple[str, str, str], CellResult] = {}
    trainers: dict[str, TrainerRun] = {}
    for run in runs:
        cells |= {(c.trainer, c.configuration, c.template): c for c in run.results}
        trainers |= {t.label: t for t in run.trainers}
    return ConformanceRun(results=list(cells.values()), trainers=list(trainers.values()), examples=first.examples,
                          seed=first.seed, wall_seconds=round(sum(r.wall_seconds for r in runs), 1), cpus=first.cpus,
                          finished=max(r.finished for r in runs), planned=len(trainers),
                          jobs=max(r.jobs for r in runs))


def reclassify(run: ConformanceRun, trainers: Sequence[Trainer], findings: Sequence[Finding]) -> ConformanceRun:
    """``run`` with each cell's failures explained again by ``findings`` (the registry as it is now), its cells in
    the order of ``trainers`` and their configurations; ValueError for a cell of a trainer release none of
    ``trainers`` runs."""
    import dataclasses

    adapters = {t.label: t.adapter for t in trainers}
    unknown = sorted({cell.trainer for cell in run.results} - set(adapters))
    if unknown:
        raise ValueError(f"cells of {unknown}: no adapter runs that release now ({sorted(adapters)})")
    rank = {(t.label, c.name): (k, j) for k, t in enumerate(trainers) for j, c in enumerate(t.configurations)}
    trainer_rank = {t.label: k for k, t in enumerate(trainers)}
    results = sorted(run.results, key=lambda c: rank.get((c.trainer, c.configuration),
                                                         (trainer_rank[c.trainer], len(rank))))
    run.results = [classify(dataclasses.replace(cell, verdicts=()), findings, adapter=adapters[cell.trainer])
                   for cell in results]
    run.trainers = sorted(run.trainers, key=lambda t: trainer_rank.get(t.label, len(trainer_rank)))
    return run


def run_summary(run: ConformanceRun) -> str:
    """The numbers a table was made with: conversations per search round, seed, cells, wall time."""
    wall = f"{run.wall_seconds / 60:.0f} min" if run.wall_seconds >= 60 else f"{run.wall_seconds:.0f} s"
    when = f", {run.finished}" if run.finished else (
        f", still running: {len(run.trainers)} of {run.planned} trainers done" if run.planned else "")
    return (f"`-n {run.examples}` conversations per search round, seed {run.seed}, {len(run.results)} cells, "
            f"wall time {wall} on {run.cpus} cores" + (f", {run.jobs} trainers at a time" if run.jobs > 1 else "")
            + when)


def write_outputs(run: ConformanceRun, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "conformance.json", out_dir / "conformance.md"
    json_path.write_text(json.dumps(run.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    link_root = os.path.relpath(_HARNESS_ROOT, out_dir.resolve()).replace(os.sep, "/") + "/"
    md_path.write_text(markdown_report(run, link_root=link_root) + "\n", encoding="utf-8")
    return json_path, md_path


def markdown_report(run: ConformanceRun, *, link_root: str = "", collapsed: bool = False) -> str:
    """The numbers it was run with, the table, and each failed cell's classes below it (in a collapsed
    ``<details>`` block where ``collapsed``, for the README). Report links are ``link_root`` + docs/findings/..."""
    details = format_details(run.results, link_root=link_root)
    text = (f"Conformance of trainers' masking ({run_summary(run)}):\n\n"
            f"{format_markdown(run.results, link_root=link_root)}\n")
    if details and collapsed:
        text += f"\n<details><summary>Each failure class, and what explains it</summary>\n\n{details}\n\n</details>\n"
    elif details:
        text += f"\nEach failure class, and what explains it:\n\n{details}\n"
    return text
