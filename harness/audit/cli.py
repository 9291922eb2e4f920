"""``python -m harness audit DATA --tokenizer NAME --pipeline NAME|module:factory``: every row of a dataset through
a pipeline, judged; exit status 0 when every row is trained right, 1 when some are not, 2 on bad input.

A trainer pipeline (``axolotl``, ``verl``, ...) runs where the trainer runs: the command builds (or reuses) the
trainer's cached environment and runs itself again there, so its output is the same as any other pipeline's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

IN_TRAINER_ENV = "HARNESS_AUDIT_IN_TRAINER_ENVIRONMENT"
DEFAULT_OUT = Path("harness-reports") / "audit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="JSONL, JSON, Parquet file or a datasets folder (save_to_disk); OpenAI rows "
                        "(messages, tools) or ShareGPT rows (conversations with from/value)")
    parser.add_argument("--tokenizer", required=True, help="tokenizer name (see HARNESS_TOKENIZERS_DIR) or folder")
    parser.add_argument("--pipeline", required=True, help="trl-sft, transformers-assistant-mask, none, a trainer "
                        "(axolotl, llamafactory, openrlhf, skyrl, unsloth, verl) or module:factory")
    parser.add_argument("--config", help="a trainer pipeline's documented configuration (its adapter's "
                        "CONFIGURATIONS; default: defaults)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for the pipeline's factory (VALUE is JSON, else a string); repeatable")
    parser.add_argument("--turns", choices=("all", "last"), help="which assistant turns must be trained (default: "
                        "the pipeline's own policy)")
    parser.add_argument("--max-length", type=int, help="report rows whose last assistant turn ends beyond this "
                        "many tokens (cut by a trainer that truncates there)")
    parser.add_argument("--chat-template", help="file holding a chat template to render with instead of the "
                        "tokenizer's")
    parser.add_argument("--split", help="the split of a datasets folder holding several")
    parser.add_argument("--limit", type=int, help="audit only the first N rows")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="run on Ray Data: a cluster address, or nothing for a local Ray instance (pip install "
                        "-e .[ray])")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--no-examples", action="store_true", help="no token page per class in audit.html")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _options(args: argparse.Namespace) -> dict:
    from harness.cli_inputs import CliError

    options = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--option {item}: expected KEY=VALUE")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    if args.config:
        configuration = _configuration(args.pipeline, args.config)
        options = {**dict(configuration.options), **options}
    return options


def _configuration(pipeline: str, name: str):
    import importlib

    from harness.audit.pipelines import trainer_names
    from harness.cli_inputs import CliError

    if pipeline not in trainer_names():
        raise CliError(f"--config {name}: only a trainer pipeline ({', '.join(trainer_names())}) has configurations")
    adapter = importlib.import_module(f"harness.adapters.{pipeline}")
    configurations = getattr(adapter, "CONFIGURATIONS", ())
    for configuration in configurations:
        if configuration.name == name:
            return configuration
    raise CliError(f"--config {name}: {pipeline} documents {[c.name for c in configurations] or ['defaults']}")


class _Progress:
    """A one-line progress bar on stderr: rows done, rows/s, time left."""

    def __init__(self, enabled: bool):
        self.enabled, self.started, self.last = enabled, time.perf_counter(), 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.5 and done < total):
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        left = (total - done) / rate if rate else 0
        width = 30
        bar = "#" * int(width * done / max(1, total))
        sys.stderr.write(f"\r[{bar:<{width}}] {done}/{total} rows · {rate:.1f} rows/s · {left:.0f} s left ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from harness.audit.dataset_rows import DatasetError
    from harness.audit.pipelines import PipelineError, trainer_names
    from harness.cli_inputs import CliError, read_text

    try:
        if args.jobs < 1:
            raise CliError(f"-j {args.jobs}: at least 1")
        if args.max_length is not None and args.max_length < 1:
            raise CliError(f"--max-length {args.max_length}: at least 1")
        if args.pipeline in trainer_names() and not os.environ.get(IN_TRAINER_ENV):
            if args.config:  # an unknown configuration is bad input before any environment is built
                _configuration(args.pipeline, args.config)
            return _in_trainer_environment(args)
        options = _options(args)
        chat_template = read_text(args.chat_template, "--chat-template") if args.chat_template else None
        return _audit(args, options, chat_template)
    except (CliError, DatasetError, PipelineError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _audit(args, options, chat_template) -> int:
    from harness.audit.dataset import AuditSettings, audit_dataset
    from harness.audit.dataset_output import format_table, header, write_outputs
    from harness.audit.dataset_rows import read_dataset
    from harness.audit.pipelines import spec_for
    from harness.cli_inputs import tokenizer_named

    rows = read_dataset(args.data, split=args.split, limit=args.limit)
    tokenizer_named(args.tokenizer)  # a bad tokenizer name is bad input (exit 2), before any row is judged
    spec = spec_for(args.pipeline, options, turns=args.turns)
    settings = AuditSettings(args.tokenizer, spec, args.max_length, chat_template)
    show = not args.quiet and (sys.stderr.isatty() or os.environ.get("HARNESS_PROGRESS") == "1")
    audit = audit_dataset(rows, settings, jobs=args.jobs, ray=args.ray, dataset=str(args.data),
                          progress=_Progress(show))
    from harness.audit import parallel

    context = parallel._CONTEXT
    option = f" --masker {spec.factory}" if spec.factory and not spec.options else ""
    paths = write_outputs(audit, rows, args.out, tokenizer_name=args.tokenizer, pipeline_option=option,
                          examples=not args.no_examples, masker=context.masker if context else None,
                          tokenizer=context.tokenizer if context else None)
    print(header(audit))
    print(format_table(audit))
    print(f"wrote {paths['summary']}, {paths['failing']}, {paths['table']}, {paths['html']}")
    return 0 if audit.passed else 1


def _in_trainer_environment(args) -> int:
    """Run this command again inside the trainer's cached environment (its data path imports the trainer)."""
    from harness.conformance.run import runner_env, trainer_environment
    from harness.conformance.trainers import load_trainer
    from harness.guard.running import EnvironmentBuildError

    trainer = load_trainer(args.pipeline)
    if isinstance(trainer, str):
        print(f"error: --pipeline {args.pipeline}: {trainer}", file=sys.stderr)
        return 2
    try:
        environment = trainer_environment(trainer, None, lambda line: print(line, file=sys.stderr))
    except EnvironmentBuildError as error:
        print(f"error: {trainer.label}'s environment cannot be built: {error}", file=sys.stderr)
        return 2
    env = {**runner_env(environment), IN_TRAINER_ENV: "1"}
    print(f"audit: running in {trainer.label}'s environment ({environment.python})", file=sys.stderr)
    return subprocess.run([str(environment.python), "-m", "harness", "audit", *_argv(args)], env=env).returncode


def _argv(args: argparse.Namespace) -> list[str]:
    """The command line that gives ``args`` again."""
    argv = [str(args.data), "--tokenizer", args.tokenizer, "--pipeline", args.pipeline, "-j", str(args.jobs),
            "--out", str(args.out)]
    for flag, value in (("--config", args.config), ("--turns", args.turns), ("--max-length", args.max_length),
                        ("--chat-template", args.chat_template), ("--split", args.split), ("--limit", args.limit)):
        if value is not None:
            argv += [flag, str(value)]
    argv += [arg for option in args.option for arg in ("--option", option)]
    if args.ray is not None:
        argv += ["--ray", args.ray]
    argv += ["--no-examples"] * args.no_examples + ["--quiet"] * args.quiet
    return argv
