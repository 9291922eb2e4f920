"""``python -m harness findings``: validate the findings registry against docs/findings/, write its index, run the
reproductions. Exit status 0 when everything holds, 1 when a report, the index or a reproduction does not, 2 on bad
input (a registry file that breaks the schema)."""

from __future__ import annotations

import argparse
from pathlib import Path


def default_findings_dir() -> Path:
    import harness

    return Path(harness.__file__).resolve().parents[1] / "docs" / "findings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=None, help="the reports' folder (default: this checkout's "
                        "docs/findings)")
    parser.add_argument("--index", type=Path, metavar="FILE", help="write the index (docs/findings/README.md) here")
    parser.add_argument("--reproduce", action="store_true", help="run every reproduction (or those -k selects) in "
                        "its trainer's environment")
    parser.add_argument("-k", dest="select", action="append", default=[], metavar="TEXT",
                        help="only findings whose slug contains TEXT (repeatable)")


def run(args: argparse.Namespace) -> int:
    from harness.conformance.findings_index import index_markdown, report_problems
    from harness.conformance.known import FindingsError, load_findings
    from harness.conformance.reproductions import ReproductionError, run_reproduction

    folder = args.dir or default_findings_dir()
    try:
        findings = load_findings()
    except FindingsError as error:
        print(f"findings: {error}")
        return 2
    status = 0
    for problem in report_problems(findings, folder):
        print(f"problem: {problem}")
        status = 1
    if args.index:
        args.index.write_text(index_markdown(findings), encoding="utf-8")
        print(f"wrote {args.index} ({len(findings)} findings)")
    if args.reproduce:
        chosen = [f for f in findings if f.reproduction and (not args.select or any(k in f.slug for k in args.select))]
        for finding in chosen:
            try:
                outcome = run_reproduction(finding, folder, log=lambda line: None)
            except ReproductionError as error:
                print(f"cannot run: {error}")
                status = 1
                continue
            print(outcome.describe())
            status = status or (0 if outcome.reproduced else 1)
    return status
