"""``python -m harness loss-table``: the trainer x configuration x property table of the check at the loss.

Each adapter that declares ``LOSS_CONFIGURATIONS`` (``harness.loss.configurations``) gets its rows run by
``harness.loss.runner``: trl's and transformers' in the running environment (a subprocess of this interpreter), the
trainers with an ``ENVIRONMENT`` (verl, OpenRLHF, SkyRL, axolotl, LlamaFactory) in their cached environment, built or
reused as ``python -m harness conformance`` does. Writes ``loss.json`` and ``loss.md`` under ``--out`` (and, with
``--readme``, the markdown between that file's ``<!-- loss-table -->`` lines). Exit status: 0 every cell passes or
its failures are the row's known findings; 1 a cell fails otherwise or errs; 2 bad input or an adapter that cannot
run at all.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
import time
from pathlib import Path

from harness.loss.table import LossCell, markdown, parse_lines

DEFAULT_OUT = Path("harness-reports") / "loss"
README_START, README_END = "<!-- loss-table -->", "<!-- /loss-table -->"
# Adapters whose steps run in the running environment: name -> (module, the distribution whose version labels it).
RUNNING_ENVIRONMENT = {"trl": ("harness.adapters.trl", "trl"),
                       "transformers": ("harness.adapters.transformers", "transformers")}


def loss_adapters() -> dict[str, str]:
    """Every adapter that may declare ``LOSS_CONFIGURATIONS``: name -> module."""
    from harness.conformance.trainers import ADAPTERS

    return {**{name: module for name, (module, _) in RUNNING_ENVIRONMENT.items()}, **ADAPTERS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.guard.environments import DEFAULT_CACHE_DIR

    parser.add_argument("--trainer", action="append", default=[], metavar="NAME",
                        help=f"an adapter (repeatable; default: each that declares LOSS_CONFIGURATIONS): "
                             f"{', '.join(loss_adapters())}")
    parser.add_argument("--configuration", action="append", default=[], metavar="NAME",
                        help="a loss configuration name (repeatable; default: all)")
    parser.add_argument("--template", default="qwen2.5-instruct", help="the tokenizer (default qwen2.5-instruct)")
    parser.add_argument("-n", "--examples", type=int, default=6, help="optimizer steps per search round (default 6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the table and logs go (default {DEFAULT_OUT})")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="where environments are cached")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per adapter's runner (default: none)")
    parser.add_argument("--shrink", action="store_true", help="shrink each failing step (readable weight tables in "
                        "details.txt; slower): by default a class is reported on the step that first showed it")
    parser.add_argument("--readme", type=Path, help=f"also write the table into this file between its {README_START} "
                        f"and {README_END} lines")


def _declares_rows(module: str) -> bool:
    import importlib

    return getattr(importlib.import_module(module), "LOSS_CONFIGURATIONS", None) is not None


def _command(name: str, module: str, args, log) -> tuple[list[str], dict | None, str]:
    """(command, environment variables or None for this process's, the cells' trainer label)."""
    if name in RUNNING_ENVIRONMENT:
        distribution = RUNNING_ENVIRONMENT[name][1]
        label = f"{distribution}=={importlib.metadata.version(distribution)}"
        return [sys.executable, "-m", "harness.loss.runner"], None, label
    from harness.conformance.run import runner_env, trainer_environment
    from harness.conformance.trainers import load_trainer

    trainer = load_trainer(name)
    if isinstance(trainer, str):
        raise RuntimeError(trainer)
    environment = trainer_environment(trainer, args.cache_dir, log)
    return [str(environment.python), "-m", "harness.loss.runner"], runner_env(environment), trainer.label


def run(args: argparse.Namespace) -> int:
    adapters = loss_adapters()
    unknown = [t for t in args.trainer if t not in adapters]
    if unknown or args.examples < 1:
        print(f"unknown trainer(s) {unknown}; choose from {sorted(adapters)}" if unknown else
              f"-n must be a positive number of steps, got {args.examples}", file=sys.stderr)
        return 2
    chosen = {name: adapters[name] for name in (args.trainer or adapters) if _declares_rows(adapters[name])}
    if not chosen:
        print("no chosen adapter declares LOSS_CONFIGURATIONS", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    cells: list[LossCell] = []
    started = time.perf_counter()
    for name, module in chosen.items():
        try:
            command, env, label = _command(name, module, args, lambda line: print(line, file=sys.stderr))
        except Exception as error:  # noqa: BLE001 - an environment that cannot be built is this adapter's cells
            cells.append(LossCell(name, "*", "", "error", reason=f"environment: {str(error).splitlines()[0]}"))
            continue
        command += ["--adapter", module, "--trainer", label, "--template", args.template, "-n", str(args.examples),
                    "--seed", str(args.seed), "--replay-dir", str(args.out / "replays" / name)]
        command += [a for c in args.configuration for a in ("--configuration", c)]
        command += [] if args.shrink else ["--no-shrink"]
        log = args.out / f"{name}.log"
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=args.timeout)
            output, code = result.stdout + result.stderr, result.returncode
        except subprocess.TimeoutExpired as error:
            output, code = (error.stdout or b"").decode() if isinstance(error.stdout, bytes) else (error.stdout or ""), \
                "timeout"
        log.write_text(output, encoding="utf-8")
        found = parse_lines(output)
        for cell in found:
            print(f"[{cell.trainer} {cell.configuration}] {cell.status} {' '.join(cell.failures)} ({cell.seconds} s)",
                  file=sys.stderr)
        if code != 0 or not found:
            cells.append(LossCell(label, "*", "", "error", reason=f"runner exited {code} (log {log})"))
        cells += found
    table = markdown(cells)
    (args.out / "loss.json").write_text(json.dumps({
        "template": args.template, "examples": args.examples, "seed": args.seed,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cells": [{k: v for k, v in vars(c).items() if k != "details"} for c in cells]}, indent=1), encoding="utf-8")
    (args.out / "loss.md").write_text(table + "\n", encoding="utf-8")
    (args.out / "details.txt").write_text("\n\n".join(f"## {c.trainer} {c.configuration}\n{c.details or c.reason}"
                                                      for c in cells), encoding="utf-8")
    if args.readme:
        text = args.readme.read_text(encoding="utf-8")
        start, end = text.find(README_START), text.find(README_END)
        if start < 0 or end < start:
            print(f"{args.readme}: no {README_START} ... {README_END} lines to put the table between", file=sys.stderr)
            return 2
        args.readme.write_text(text[: start + len(README_START)] + "\n" + table + "\n" + text[end:], encoding="utf-8")
    print(table)
    bad = [c for c in cells if c.status == "error" or (c.status == "fail" and not c.known)]
    return 1 if bad else 0
