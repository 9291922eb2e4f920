"""``python -m harness survey [NAMES] [--examples N] [--seed S]``: print the survey table (default: the template corpus,
then every shared tokenizer found)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", help="corpus templates, tokenizer names or folders (default: the corpus and "
                        "every tokenizer found)")
    parser.add_argument("--examples", type=int, default=20, help="random conversations per template for the refusal "
                        "rate (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of those conversations (default 0)")


def run(args: argparse.Namespace) -> int:
    from harness.assets.template_corpus import corpus_names
    from harness.assets.tokenizers import available_tokenizers
    from harness.survey.rows import survey
    from harness.survey.table import survey_table

    if args.examples < 1:
        print(f"--examples must be at least 1, got {args.examples}", file=sys.stderr)
        return 2
    names = args.names or corpus_names() + available_tokenizers()

    def progress(row) -> None:
        done = f"{100 * row.refusals.rate:.0f}% refused" if row.refusals else row.error
        print(f"surveyed {row.name}: {done}", file=sys.stderr, flush=True)

    rows = survey(names, examples=args.examples, seed=args.seed, progress=progress)
    print(survey_table(rows))
    return 1 if any(row.error for row in rows) and args.names else 0
