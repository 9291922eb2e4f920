"""Throughput of the dataset audit on the tau-bench rows (long, real multi-turn tool conversations): rows/s and ms
per row for render+tokenize alone, the pipeline (its masker) alone, the oracle alone, and the whole audit with 1 and
2 worker processes (the speed-up from 1 to 2 as a share of linear).

    python benchmarks/bench_audit.py [--rows 60] [--tokenizer qwen2.5-instruct] [--pipeline tests.report_maskers:correct]

Goals (issue 25): the oracle at most 3x one render+tokenize; the audit at >= 90 % of linear speed-up from 1 to 2
processes (needs 2 idle cores: a busy machine measures its neighbours).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.adapters.transformers import frozen_template_clock, load_tokenizer, render  # noqa: E402
from harness.assets.data import find_data_file  # noqa: E402
from harness.audit.dataset import AuditSettings, audit_dataset  # noqa: E402
from harness.audit.dataset_rows import read_dataset  # noqa: E402
from harness.audit.pipelines import build_masker, spec_for  # noqa: E402
from harness.masking.oracle import build_oracle  # noqa: E402

DATA = "tau_bench_airline_gpt4o.jsonl"


def _timed(function, rows) -> float:
    started = time.perf_counter()
    for row in rows:
        function(row)
    return time.perf_counter() - started


def _line(what: str, seconds: float, count: int) -> str:
    return f"{what:<34} {count / seconds:>8.2f} rows/s {1000 * seconds / count:>9.1f} ms/row"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--tokenizer", default="qwen2.5-instruct")
    parser.add_argument("--pipeline", default="tests.report_maskers:correct")
    args = parser.parse_args()
    path = find_data_file(DATA)
    if path is None:
        sys.exit(f"{DATA} not found (HARNESS_DATA_DIR, then ../shared/data)")
    rows = [row for row in read_dataset(path, limit=args.rows) if not row.error]
    tokenizer = load_tokenizer(args.tokenizer)
    spec = spec_for(args.pipeline)
    masker = build_masker(spec, tokenizer)
    print(f"{len(rows)} tau-bench rows, tokenizer {args.tokenizer}, pipeline {args.pipeline}, {os.cpu_count()} CPUs")
    with frozen_template_clock():
        plain = _timed(lambda r: tokenizer(render(tokenizer, r.messages, r.tools), add_special_tokens=False), rows)
        pipeline = _timed(lambda r: masker(r.messages, r.tools), rows)
        oracle = _timed(lambda r: build_oracle(tokenizer, r.messages, r.tools), rows)
    print(_line("render+tokenize", plain, len(rows)))
    print(_line("pipeline (masker)", pipeline, len(rows)))
    print(_line("oracle (build_oracle)", oracle, len(rows)))
    print(f"oracle / render+tokenize: {oracle / plain:.1f}x (goal <= 3x)")
    settings = AuditSettings(args.tokenizer, spec)
    walls = {}
    for jobs in (1, 2):
        audit = audit_dataset(rows, settings, jobs=jobs)
        walls[jobs] = audit.seconds
        print(_line(f"audit, {jobs} process(es)", audit.seconds, len(rows)))
    speedup = walls[1] / walls[2]
    print(f"speed-up 1 -> 2 processes: {speedup:.2f}x = {100 * speedup / 2:.0f}% of linear (goal >= 90%)")


if __name__ == "__main__":
    main()
