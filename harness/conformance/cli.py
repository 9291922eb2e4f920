"""``python -m harness conformance``: each trainer's own masking under the contract, one table.

Builds (or reuses) one cached environment per trainer release, runs ``check_masker`` on the trainer's own data
path for each of the adapter's documented configurations (``CONFIGURATIONS``: the defaults, and what the trainer's
docs recommend for a template family) and each template, under the trainer's documented conventions (the adapter's
``policy``), and prints a table of (trainer, configuration) x template: ``pass``; or what explains each failure class
(the findings registry, ``harness/adapters/<trainer>/findings.toml``: a defect and its report, ``convention: <option>``,
``known upstream #N``, ``fixed in <release>``, else ``unexplained: <class>``), ordinary data apart from contents that
spell the template's control tokens; or ``n/a: reason``. Writes it as ``conformance.json`` and ``conformance.md``
under ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_OUT = Path("harness-reports") / "conformance"
README_START, README_END = "<!-- conformance-table -->", "<!-- /conformance-table -->"


def replace_table(text: str, table: str) -> str:
    """``text`` with the lines between its table markers replaced by ``table``; ValueError without the markers."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"no {README_START} ... {README_END} lines to put the table between")
    return text[: start + len(README_START)] + "\n" + table.strip() + "\n" + text[end:]


def harness_root() -> str:
    """The checkout the harness runs from (where docs/findings/ lies)."""
    import harness

    return str(Path(harness.__file__).resolve().parents[1])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.guard.environments import DEFAULT_CACHE_DIR

    parser.add_argument("--trainer", action="append", default=[], metavar="NAME[==RELEASE]",
                        help="a trainer adapter, e.g. axolotl==0.21.0 (repeatable; default: every adapter)")
    parser.add_argument("--template", action="append", default=[], metavar="NAME",
                        help="a tokenizer name (repeatable; default: every tokenizer the harness knows or finds)")
    parser.add_argument("--configuration", action="append", default=[], metavar="NAME",
                        help="an adapter configuration, e.g. defaults (repeatable; default: each adapter's all)")
    parser.add_argument("-n", "--examples", type=int, default=50, help="conversations per search round (default 50)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the table, logs and replays go "
                        f"(default {DEFAULT_OUT})")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="where environments are cached")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per trainer's runner (default: none)")
    parser.add_argument("--jobs", type=int, default=1, help="trainers run at a time (default 1)")
    parser.add_argument("--from-json", type=Path, action="append", default=[], metavar="CONFORMANCE_JSON",
                        help="run nothing: explain the cells of an earlier run's conformance.json again with the "
                             "findings registry as it is now, and write the table (--out, --readme); repeatable: "
                             "a later file's cell replaces an earlier one's")
    parser.add_argument("--readme", type=Path, help="also write the markdown table into this file, between its "
                        f"{README_START} and {README_END} lines")


def run(args: argparse.Namespace) -> int:
    import sys

    from harness.conformance.run import run_conformance
    from harness.conformance.table import format_text
    from harness.conformance.trainers import TrainerSelectionError, default_templates, select_trainers

    if args.examples < 1:
        print(f"-n must be a positive number of conversations, got {args.examples}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"--jobs must be a positive number of trainers at a time, got {args.jobs}", file=sys.stderr)
        return 2
    try:
        trainers = select_trainers(args.trainer)
    except TrainerSelectionError as error:
        print(error, file=sys.stderr)
        return 2
    if not trainers:
        print("no trainer adapter to run", file=sys.stderr)
        return 2
    known = {c.name for t in trainers for c in t.configurations}
    unknown = [name for name in args.configuration if name not in known]
    if unknown:
        print(f"--configuration {unknown[0]!r}: no selected trainer has it; they have {sorted(known)}", file=sys.stderr)
        return 2
    from harness.conformance.known import FindingsError, load_findings

    try:
        findings = load_findings()
    except FindingsError as error:
        print(f"findings registry: {error}", file=sys.stderr)
        return 2
    if args.readme:
        try:
            replace_table(args.readme.read_text(encoding="utf-8"), "")
        except (OSError, ValueError) as error:
            print(f"--readme {args.readme}: {error}", file=sys.stderr)
            return 2
    templates = list(dict.fromkeys(args.template)) or default_templates()
    progress = None
    if args.readme:
        import os

        from harness.conformance.run import markdown_report

        root = os.path.relpath(Path(harness_root()), args.readme.resolve().parent).replace(os.sep, "/")

        def progress(run) -> None:  # the README's table as each trainer finishes: a run cut short leaves its part
            block = markdown_report(run, link_root="" if root == "." else root + "/", collapsed=True)
            args.readme.write_text(replace_table(args.readme.read_text(encoding="utf-8"), block), encoding="utf-8")

    if args.from_json:
        from harness.conformance.run import load_run, merge_runs, reclassify, write_outputs

        try:
            result = reclassify(merge_runs([load_run(path) for path in args.from_json]), trainers, findings)
        except (OSError, ValueError) as error:
            print(f"--from-json {args.from_json}: {error}", file=sys.stderr)
            return 2
        write_outputs(result, args.out)
        if progress is not None:
            progress(result)
        print(format_text(result.results))
        print(f"\nwritten: {args.out / 'conformance.json'}, {args.out / 'conformance.md'}")
        return 0
    result = run_conformance(trainers, templates, examples=args.examples, seed=args.seed, out_dir=args.out,
                             cache_dir=args.cache_dir, timeout=args.timeout, configurations=args.configuration,
                             findings=findings, jobs=args.jobs, progress=progress,
                             log=lambda line: print(line, flush=True))
    print()
    print(format_text(result.results))
    print(f"\nwritten: {args.out / 'conformance.json'}, {args.out / 'conformance.md'}")
    if args.readme:
        print(f"table written into {args.readme}")
    return 1 if any(r.status == "error" for r in result.results) else 0
