"""Runs the loss table's rows of one adapter: ``python -m harness.loss.runner --adapter MODULE --template NAME``.

Run inside the trainer's environment (``harness.loss.table_cli`` starts it there) or in the running one (trl,
transformers). For each of the adapter's ``LOSS_CONFIGURATIONS`` (``--configuration`` narrows them) it builds the
step (``LossConfiguration.build``) and runs ``check_training_step`` with the row's ``check`` options, printing one
``LossCell`` line each; a row that raises is an ``error`` cell, not a crash of the run.
"""

from __future__ import annotations

import argparse
import importlib
import time
import traceback

from harness.loss.configurations import LossConfiguration
from harness.loss.table import LossCell


def loss_configurations(adapter) -> tuple[LossConfiguration, ...]:
    """The adapter module's ``LOSS_CONFIGURATIONS``; ValueError naming what is wrong where they are malformed."""
    name = getattr(adapter, "__name__", "the adapter")
    rows = getattr(adapter, "LOSS_CONFIGURATIONS", None)
    if not isinstance(rows, tuple) or not rows or not all(isinstance(r, LossConfiguration) for r in rows):
        raise ValueError(f"{name}.LOSS_CONFIGURATIONS must be a non-empty tuple of LossConfiguration, got {rows!r:.200}")
    names = [r.name for r in rows]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{name}.LOSS_CONFIGURATIONS: names {twice} appear more than once")
    return rows


def run_row(trainer: str, row: LossConfiguration, template: str, *, examples: int, seed: int,
            replay_dir: str | None = None, shrink: bool = True) -> LossCell:
    from harness.assets.tokenizers import find_tokenizer, missing_reason

    started = time.perf_counter()

    def cell(status: str, **fields) -> LossCell:
        return LossCell(trainer, row.name, row.normalization, status, known=row.known, template=template,
                        seconds=round(time.perf_counter() - started, 1), **fields)

    if row.cannot:
        return cell("n/a", reason=row.cannot)
    if find_tokenizer(template) is None:
        return cell("missing", reason=missing_reason(template))
    try:
        from harness.adapters.transformers import load_tokenizer
        from harness.loss.check import check_training_step

        tokenizer = load_tokenizer(template)
        report = check_training_step(row.build(tokenizer), tokenizer, max_examples=examples, seed=seed,
                                     replay_dir=replay_dir, shrink=shrink, **dict(row.check))
    except Exception as error:  # noqa: BLE001 - one row's crash is its cell, the other rows still run
        return cell("error", reason=f"{type(error).__name__}: {error}"[:400], details=traceback.format_exc())
    return cell("pass" if report.passed else "fail", failures=tuple(report.keys), steps=report.steps,
                packed_steps=report.packed_steps, isolated_steps=report.isolated_steps, micro_batched_steps=report.micro_batched_steps,
                details=str(report))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.loss.runner")
    parser.add_argument("--adapter", required=True, help="adapter module holding LOSS_CONFIGURATIONS")
    parser.add_argument("--trainer", required=True, help="the label the cells carry, e.g. verl==0.9.1")
    parser.add_argument("--template", default="qwen2.5-instruct")
    parser.add_argument("--configuration", action="append", default=[])
    parser.add_argument("-n", "--examples", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--replay-dir")
    parser.add_argument("--no-shrink", action="store_true", help="report each class on the step that showed it")
    args = parser.parse_args(argv)
    rows = loss_configurations(importlib.import_module(args.adapter))
    unknown = sorted(set(args.configuration) - {r.name for r in rows})
    if unknown:
        parser.error(f"{args.adapter} has no loss configuration {unknown}; it has {[r.name for r in rows]}")
    for row in rows:
        if not args.configuration or row.name in args.configuration:
            print(run_row(args.trainer, row, args.template, examples=args.examples, seed=args.seed,
                          replay_dir=args.replay_dir, shrink=not args.no_shrink).to_line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
