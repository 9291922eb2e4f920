"""Runs inside a trainer's environment: ``python -m harness.conformance.runner --adapter MODULE --template NAME ...``.

For each of the adapter's configurations (``CONFIGURATIONS``, or those ``--configuration`` names) and each template:
``n/a`` where the configuration is documented for other templates, the tokenizer (``harness.load_tokenizer``;
``missing`` when it is not found), the adapter's ``not_applicable`` (``n/a``), its ``masker(tokenizer, **options)``,
then the contract under the masker's own ``policy``, each failure class marked ordinary or control-token-only
(``split.check_split``); prints one ``CellResult`` line each (``results.PREFIX`` + JSON). Anything the adapter raises
outside the masker is an ``error`` cell, not a crash of the whole run.

With ``--conversations FILE`` (a JSON list of ``{"messages", "tools"}``) it runs the masker (built with
``--options`` JSON) on each instead and prints ``OUTPUT_PREFIX`` + ``{"input_ids", "labels"}`` or ``{"error"}`` per
conversation: what the trainer's tests judge with fixed conversations.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
import traceback
from pathlib import Path

from harness.conformance.results import CellResult
from harness.conformance.spec import Configuration
from harness.conformance.trainers import DEFAULTS, configurations_of, not_documented_for


def run_cell(adapter, template: str, *, examples: int, seed: int, replay_dir: str | None,
             configuration: Configuration = DEFAULTS) -> CellResult:
    from harness.assets.tokenizers import find_tokenizer, missing_reason
    from harness.conformance.split import check_split

    label = adapter.ENVIRONMENT.label
    started = time.perf_counter()

    def cell(status: str, **fields) -> CellResult:
        return CellResult(label, template, status, configuration=configuration.name,
                          seconds=round(time.perf_counter() - started, 1), **fields)

    undocumented = not_documented_for(configuration, template)
    if undocumented:
        return cell("n/a", reason=undocumented)
    if find_tokenizer(template) is None:
        return cell("missing", reason=missing_reason(template))
    try:
        from harness.adapters.transformers import load_tokenizer

        tokenizer = load_tokenizer(template)
        reason = adapter.not_applicable(tokenizer)
        if reason:
            return cell("n/a", reason=reason)
        masker = adapter.masker(tokenizer, **dict(configuration.options))
        if replay_dir and configuration.name != DEFAULTS.name:
            replay_dir = str(Path(replay_dir) / _folder_name(configuration.name))
        report = check_split(masker, tokenizer, examples=examples, seed=seed, policy=masker.policy,
                             replay_dir=replay_dir)
    except Exception as error:  # the adapter or the trainer's set-up: one cell, with the reason
        last = traceback.extract_tb(error.__traceback__)[-1]
        where = f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
        first_line = str(error).splitlines()[0] if str(error) else ""
        return cell("error", reason=f"{type(error).__name__}: {first_line}{where}")
    if report.passed:
        gaps = report.gaps  # a pass that exercised no tool results on a template that renders them says so
        return cell("pass", examples=report.examples, details=report.details,
                    reason=f"not exercised: {', '.join(gaps)}" if gaps else "")
    return cell("fail", failures=tuple(report.keys), control_only=tuple(report.control_only),
                examples=report.examples, details=report.details,
                replays=tuple(str(f.replay) for f in report.failures if getattr(f, "replay", None)))


def _folder_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


def select_configurations(adapter, names: list[str] | None) -> tuple[Configuration, ...]:
    """The adapter's configurations that ``names`` name, in the adapter's order (all where ``names`` is empty)."""
    configurations = configurations_of(adapter)
    if not names:
        return configurations
    return tuple(c for c in configurations if c.name in names)


OUTPUT_PREFIX = "HARNESS-MASKER-OUTPUT "


def print_outputs(adapter, template: str, conversations: list[dict], options: dict) -> None:
    from harness.adapters.transformers import load_tokenizer

    masker = adapter.masker(load_tokenizer(template), **options)
    for conversation in conversations:
        try:
            out = masker(conversation["messages"], conversation.get("tools"))
            line = {"input_ids": [int(i) for i in out["input_ids"]], "labels": [int(i) for i in out["labels"]]}
        except Exception as error:  # reported per conversation: the test says what it expected
            line = {"error": f"{type(error).__name__}: {error}"}
        print(OUTPUT_PREFIX + json.dumps(line), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.conformance.runner", description=__doc__.split("\n")[0])
    parser.add_argument("--adapter", required=True, help="the adapter package, e.g. harness.adapters.axolotl")
    parser.add_argument("--template", action="append", required=True, help="tokenizer name (repeatable)")
    parser.add_argument("-n", "--examples", type=int, default=50, help="conversations per search round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--replay-dir", help="where the failures' shrunk conversations are written")
    parser.add_argument("--conversations", help="JSON file of conversations: print the masker's output for each")
    parser.add_argument("--options", default="{}", help="JSON object of masker options (with --conversations)")
    parser.add_argument("--configuration", action="append", default=[],
                        help="an adapter configuration's name (repeatable; default: all of CONFIGURATIONS)")
    args = parser.parse_args(argv)
    adapter = importlib.import_module(args.adapter)
    if args.conversations:
        with open(args.conversations, encoding="utf-8") as handle:
            conversations = json.load(handle)
        for template in args.template:
            print_outputs(adapter, template, conversations, json.loads(args.options))
        return 0
    for configuration in select_configurations(adapter, args.configuration):
        for template in args.template:
            print(run_cell(adapter, template, examples=args.examples, seed=args.seed, replay_dir=args.replay_dir,
                           configuration=configuration).line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
