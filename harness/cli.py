"""Command line: ``python -m harness inspect|report --tokenizer NAME conversation.json``, ``python -m harness guard``,
``python -m harness conformance``, ``python -m harness audit DATA``, ``python -m harness findings`` and ``python -m harness survey [NAMES]``.

``report`` writes one self-contained HTML page of the conversation's tokens (harness/html_report.py);
``guard`` runs the tests under other released versions of trl/transformers (harness/guard/).
``conformance`` runs each trainer's own masking under the contract (harness/conformance/);
``survey`` prints one table of chat-template behaviours (harness/survey/).

Prints one row per token of the rendered conversation with its role and whether the model
generated it (✓ trained, ✗ not trained, ~ either), and, with ``--masker module:factory``, what a
masker trains (got) beside it. The JSON file holds ``{"messages": [...], "tools": [...]}`` or a
bare list of messages. A template that reads the clock (``strftime_now``) renders at one instant for the whole
command: ``--clock``, else the one a replay file records (``"clock"``, the instant its check saw), else now.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import sys

from harness.cli_inputs import CliError, exits_cleanly, masker_from, read_conversation, tokenizer_named


def _instant(args: argparse.Namespace) -> tuple[datetime.datetime | None, str]:
    """The instant templates read for this command and where it comes from: ``--clock``, else the replay file's
    ``"clock"``, else (None) now."""
    from harness.masking.replay import ReplayClockError, recorded_clock

    if args.clock:
        try:
            return datetime.datetime.fromisoformat(args.clock), "--clock"
        except ValueError:
            raise CliError(f"--clock {args.clock}: not an ISO 8601 date and time (e.g. 2026-01-15T12:00:00)") from None
    with open(args.conversation, encoding="utf-8") as handle:  # read_conversation has read and validated it
        data = json.load(handle)
    try:
        instant = recorded_clock(data) if isinstance(data, dict) else None
    except ReplayClockError as error:
        raise CliError(f"{args.conversation}: {error}") from None
    return instant, "the replay file's clock"


@contextlib.contextmanager
def _held_clock(args: argparse.Namespace):
    """Hold the template clock for the command; on leaving, say the instant when a template read it."""
    from harness.adapters import transformers as hf

    instant, source = _instant(args)
    with hf.frozen_template_clock(instant) as held:
        yield held
    if held.read:
        print(f"clock: the chat template reads the clock (strftime_now); rendered at {held.describe()} "
              f"({source if instant is not None else 'now'})")


def _report(args: argparse.Namespace) -> int:
    from harness.html_report import write_report

    messages, tools, _, _ = read_conversation(args.conversation)
    tokenizer = tokenizer_named(args.tokenizer, args.chat_template)
    maskers = [(spec, masker_from(spec, tokenizer)) for spec in args.masker or []]
    output = args.output or (args.conversation.rsplit(".", 1)[0] + ".html")
    with _held_clock(args):
        summary = write_report(output, tokenizer, messages, tools, maskers=maskers, turns=args.turns)
    print(f"{output}: {summary}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from harness.masking.policy import Policy

    messages, tools, template_kwargs, policy_fields = read_conversation(args.conversation)
    tokenizer = tokenizer_named(args.tokenizer, args.chat_template)
    policy = Policy(**{**policy_fields, **({"turns": args.turns} if args.turns else {})})
    color = sys.stdout.isatty() if args.color == "auto" else args.color == "always"
    with _held_clock(args):  # the oracle and the masker render at one instant: the one the check saw, if recorded
        return _inspect_held(args, tokenizer, messages, tools, template_kwargs, policy, color)


def _inspect_held(args, tokenizer, messages, tools, template_kwargs, policy, color) -> int:
    from harness.masking.check import judge, token_table
    from harness.masking.oracle import build_oracle

    if args.masker:
        masker = masker_from(args.masker, tokenizer)
        oracle, failures = judge(masker, tokenizer, messages, tools, policy=policy, template_kwargs=template_kwargs)
        from harness.masking.output import MaskerOutputError, normalize_output

        try:
            trained = normalize_output(masker(messages, tools)).trained
        except MaskerOutputError as error:
            raise CliError(f"--masker {args.masker}: {error}") from None
        print(token_table(oracle, trained if len(trained) == len(oracle.input_ids) else None, color=color))
        for failure in failures:
            print(f"\n{failure}")
        return 1 if failures else 0
    oracle = build_oracle(tokenizer, messages, tools, policy=policy, template_kwargs=template_kwargs)
    print(token_table(oracle, color=color))
    for hazard in oracle.hazards:
        print(f"hazard [{hazard.kind}] message {hazard.message_index}: {hazard.detail}")
    return 0


@exits_cleanly  # bad input: one line naming the problem, status 2
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="show every token with its role and whether it is trained")
    inspect.add_argument("conversation", help="JSON file: {'messages': [...], 'tools': [...]} or a list of messages")
    inspect.add_argument("--tokenizer", required=True, help="tokenizer name (see HARNESS_TOKENIZERS_DIR) or folder")
    inspect.add_argument("--masker", help="module:factory, factory(tokenizer) -> masker; shows its labels beside the oracle's")
    inspect.add_argument("--turns", choices=("all", "last"), default=None,
                         help="policy: which assistant turns are trained (default: the file's policy, else all)")
    inspect.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    inspect.add_argument("--chat-template", help="file holding the chat template to render with (default: the tokenizer's)")
    inspect.add_argument("--clock", help="ISO 8601 instant a template that reads the clock (strftime_now) renders at "
                         "(default: the replay file's clock, else now)")
    report = commands.add_parser("report", help="write a self-contained HTML page of every token (roles, trained marks)")
    report.add_argument("conversation", help="JSON file: {'messages': [...], 'tools': [...]} or a list of messages")
    report.add_argument("--tokenizer", required=True, help="tokenizer name (see HARNESS_TOKENIZERS_DIR) or folder")
    report.add_argument("--masker", action="append", help="module:factory, factory(tokenizer) -> masker; repeat to "
                        "compare several side by side")
    report.add_argument("--turns", choices=("all", "last"), default="all", help="policy: which assistant turns are trained")
    report.add_argument("--chat-template", help="file holding the chat template to render with (default: the tokenizer's)")
    report.add_argument("-o", "--output", help="HTML file to write (default: the conversation's name with .html)")
    report.add_argument("--clock", help="ISO 8601 instant a template that reads the clock (strftime_now) renders at "
                        "(default: the replay file's clock, else now)")
    guard = commands.add_parser(
        "guard", help="run the tests under other released versions of trl/transformers (cached uv environments)",
        description="Build (or reuse) one environment per version set and run pytest there; print a version-set x "
        "test table and the golden token rows that differ from the first set.")
    from harness.guard import add_arguments

    add_arguments(guard)
    conformance = commands.add_parser(
        "conformance", help="each trainer's own masking (axolotl, openrlhf, ...) under the contract, one table",
        description="Build (or reuse) one environment per trainer release and run check_masker on its data path for "
        "each template; print a template x trainer table and write it as JSON and markdown.")
    from harness.conformance.cli import add_arguments as add_conformance_arguments

    add_conformance_arguments(conformance)
    audit = commands.add_parser(
        "audit", help="every row of a dataset through a pipeline's masking, judged; a table per failure class",
        description="Read a dataset (JSONL, JSON, Parquet, datasets folder; OpenAI or ShareGPT rows), run the pipeline "
        "on every row, judge each with the oracle and the data checks, print a table per failure class and write the "
        "failing rows (JSONL), a summary (JSON) and an HTML page. Exit 0: every row right; 1: some not; 2: bad input.")
    from harness.audit.cli import add_arguments as add_audit_arguments

    add_audit_arguments(audit)
    findings = commands.add_parser(
        "findings", help="the trainers' findings (harness/adapters/*/findings.toml): write the index, run reproductions",
        description="Validate the findings registry and its reports; --index writes docs/findings/README.md; "
        "--reproduce runs each reproduction in its trainer's environment and says whether it still reproduces.")
    from harness.conformance.findings_cli import add_arguments as add_findings_arguments

    add_findings_arguments(findings)
    loss_table = commands.add_parser(
        "loss-table", help="each trainer's training step under the check at the loss: trainer x configuration x property",
        description="Run check_training_step on every adapter's LOSS_CONFIGURATIONS (trl and transformers here, the "
        "RL and packing trainers in their cached environments) and print one row per configuration with a column per "
        "property (positions, target, weight, packing); write it as JSON and markdown.")
    from harness.loss.table_cli import add_arguments as add_loss_table_arguments

    add_loss_table_arguments(loss_table)
    survey = commands.add_parser("survey", help="one table of chat-template behaviours and the oracle's refusal rate")
    from harness.survey.command import add_arguments as add_survey_arguments

    add_survey_arguments(survey)
    args = parser.parse_args(argv)
    if args.command == "conformance":
        from harness.conformance.cli import run as run_conformance

        return run_conformance(args)
    if args.command == "guard":
        from harness.guard import run

        return run(args)
    if args.command == "audit":
        from harness.audit.cli import run as run_audit

        return run_audit(args)
    if args.command == "findings":
        from harness.conformance.findings_cli import run as run_findings

        return run_findings(args)
    if args.command == "loss-table":
        from harness.loss.table_cli import run as run_loss_table

        return run_loss_table(args)
    if args.command == "survey":
        from harness.survey.command import run as run_survey

        return run_survey(args)
    return _report(args) if args.command == "report" else _inspect(args)

