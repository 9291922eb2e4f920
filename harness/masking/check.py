"""``check_masker`` / ``assert_masker``: the public contract.

Hypothesis generates conversations the tokenizer's template accepts, the oracle says which
tokens the model generated, and every named property is judged on the masker's output
(``judging``). The first failing conversation is shrunk to a minimal one and reported with a
token table (``report``); further rounds of the search find the failure classes it hid.

Also re-exports what was always imported from here: ``judge``, ``judge_output``, ``token_table``,
``Report`` and ``Failure``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.coverage import features_of, inexpressible
from harness.masking.judging import judge, judge_output
from harness.masking.oracle import OracleError, Policy
from harness.masking.report import PROPERTY_ORDER, Failure, Report, ordered, token_table, with_replays
from harness.types import Masker

__all__ = ["Failure", "Report", "assert_masker", "check_masker", "judge", "judge_output", "token_table"]


class _MaskerFailed(Exception):
    """Raised inside the Hypothesis test; one subclass per failure class, so that Hypothesis
    shrinks and reports each class on its own conversation."""

    failures: list[Failure]

    def __init__(self, failures: list[Failure]):
        super().__init__(failures[0].key)
        self.failures = failures


_FAILURE_CLASSES: dict[str, type[_MaskerFailed]] = {}


def _failure_class(key: str) -> type[_MaskerFailed]:
    if key not in _FAILURE_CLASSES:
        name = "MaskerFailed_" + "".join(ch if ch.isalnum() else "_" for ch in key)
        _FAILURE_CLASSES[key] = type(name, (_MaskerFailed,), {"__module__": __name__})
    return _FAILURE_CLASSES[key]


def _collect(error: BaseException) -> list[_MaskerFailed]:
    """The failure-class exceptions inside what Hypothesis raised (one, or a group of them)."""
    if isinstance(error, _MaskerFailed):
        return [error]
    found = []
    for inner in getattr(error, "exceptions", ()) or ():
        found += _collect(inner)
    return found


def check_masker(
    masker: Masker,
    tokenizer,
    *,
    max_examples: int | None = None,
    seed: int = 0,
    policy: Policy | None = None,
    template_kwargs: Mapping[str, Any] | None = None,
    max_turns: int = 4,
    conversations=None,
    replay_dir: str | Path | None = None,
    max_rounds: int = 8,
    ignore: Iterable[str] = (),
    clock: datetime.datetime | None = None,
) -> Report:
    """Check ``masker`` on conversations generated for ``tokenizer``'s chat template.

    masker(messages, tools) -> {"input_ids", "labels"} or {"input_ids", "assistant_masks"|"loss_mask"|"completion_mask"|"mask"}; "attention_mask" marks padding.
    ``max_examples`` defaults to the active Hypothesis profile's. Each distinct failure class (a
    property and the kind of token involved: the assistant header, a tool result ...) is reported
    with its own shrunk conversation, written whole under ``replay_dir`` (default
    ``$HARNESS_REPORT_DIR/replays``, else the temp folder) with the command that replays it.
    ``conversations`` overrides the strategy (a Hypothesis strategy of ``{"messages", "tools"}`` dicts).
    ``max_rounds`` bounds the searches for further classes (each round costs up to ``max_examples``).
    ``policy`` defaults to the masker's own ``policy`` attribute (a trainer adapter's documented conventions,
    ``harness.adapters.axolotl.masker(...)``), else ``Policy()``.
    ``ignore``: failure keys set aside from the start (classes another check already found): the search looks only
    for the others (the conformance runner's second search, on ordinary contents, uses it).
    ``clock`` is the instant every chat template reads (``strftime_now``: today's date, or the time to the second)
    for the whole check: the oracle, the masker (through the tokenizer it calls), the probe and every shrinking step
    see it, and the replay files record it. Default: the instant already held (``masking_check``, an enclosing
    ``frozen_template_clock``), else the time the check starts, to the second. The report names it when a template
    read it.
    """
    from hypothesis import settings

    if not callable(masker):
        raise TypeError(f"masker must be callable(messages, tools), got {type(masker).__name__}")
    if max_examples is None:
        max_examples = settings.default.max_examples
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"max_examples must be a positive int, got {max_examples!r}")
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
        raise ValueError(f"max_rounds must be a positive int, got {max_rounds!r}")
    if policy is None:
        policy = getattr(masker, "policy", None) or Policy()
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a harness.Policy, got {type(policy).__name__}")
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError("the tokenizer has no chat_template: set the template the masker renders with")
    if clock is not None and not isinstance(clock, datetime.datetime):
        raise TypeError(f"clock must be a datetime.datetime (the instant templates read), got {type(clock).__name__}")
    # One instant for the whole check: a template that writes the time renders the same text for the oracle, the
    # masker and every replay of a conversation while Hypothesis shrinks it.
    with hf.frozen_template_clock(clock) as held:
        report = _check(masker, tokenizer, policy=policy, template_kwargs=template_kwargs, max_turns=max_turns,
                        conversations=conversations, max_examples=max_examples, seed=seed, max_rounds=max_rounds,
                        ignore=ignore)
    if held.read:
        report.clock = held.instant
    report.failures = with_replays(ordered(report.failures), report, policy, template_kwargs, replay_dir)
    return report


def _check(masker, tokenizer, *, policy, template_kwargs, max_turns, conversations, max_examples, seed,
           max_rounds, ignore) -> Report:
    """The search, in rounds; the report's failures without their replay files."""
    report = Report(tokenizer=str(getattr(tokenizer, "name_or_path", type(tokenizer).__name__)), policy=policy)
    if conversations is None:
        from harness.strategies import conversations_for
        from harness.masking.template_probe import probe_template

        conversations = conversations_for(tokenizer, max_turns=max_turns, template_kwargs=template_kwargs)
        capabilities = probe_template(tokenizer, template_kwargs=template_kwargs)
        report.coverage.cannot_express = inexpressible(capabilities)
        report.coverage.adapted = capabilities.adapted
    state = _SearchState()
    found: dict[str, Failure] = {}
    if isinstance(ignore, str):
        raise TypeError(f"ignore must be an iterable of failure keys, got the string {ignore!r}")
    ignored_from_start = set(ignore)
    # Rounds: each finds one failing conversation, shrinks it for its highest-ranked class, and
    # reports every class that conversation shows; the next round sets those classes aside, so a
    # class hidden behind another (a tool-result leak behind a trained header) surfaces with its own
    # shrunk conversation. Until a round finds nothing new: a correct masker costs one round.
    for _ in range(max_rounds):
        new = _search_round(masker, tokenizer, conversations, policy, template_kwargs, max_examples, seed, report,
                            state, ignored=set(found) | ignored_from_start)
        if not new:
            break
        for failure in new:
            found.setdefault(failure.key, failure)
    report.failures = list(found.values())
    return report


# Which class a conversation with several raises: the rarer and more harmful first, so that the
# header (on every conversation, sometimes trained on purpose) never hides a tool-result leak.
_KIND_RANK = [
    "text differs", "truncated", "segmentation", "",
    "tool result", "user", "system", "another turn's stop", "stop token", "conversation end",
    "template text outside any message", "assistant turn the policy leaves untrained",
    "assistant text the model did not sample", "text the generation prompt forces",
    "glue after the stop token", "assistant header",
]


def _priority(failure: Failure) -> tuple[int, int, str]:
    rank = {name: k for k, name in enumerate(PROPERTY_ORDER)}
    kind_rank = {name: k for k, name in enumerate(_KIND_RANK)}
    return (kind_rank.get(failure.kind, len(kind_rank) // 2), rank.get(failure.property, len(rank)), failure.kind)


@dataclass
class _SearchState:
    hazard_keys: set = field(default_factory=set)
    seen: set = field(default_factory=set)


def _search_round(masker, tokenizer, conversations, policy, template_kwargs, max_examples, seed, report: Report,
                  state: _SearchState, *, ignored: set[str]) -> list[Failure]:
    """One Hypothesis search; returns every class (none in ``ignored``) of the shrunk conversation."""
    from hypothesis import HealthCheck, Phase, given, reject, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        report_multiple_bugs=False,
        print_blob=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(conversations)
    def run(conversation):
        try:
            oracle, failures = judge(
                masker, tokenizer, conversation["messages"], conversation.get("tools"),
                policy=policy, template_kwargs=template_kwargs,
            )
        except OracleError as error:
            report.skipped.append(str(error))
            reject()
        fingerprint = repr(conversation)
        if fingerprint not in state.seen:
            state.seen.add(fingerprint)
            report.examples += 1
            control = any(h.kind == "control_string" for h in oracle.hazards)
            report.coverage.add(features_of(conversation["messages"], token_count=len(oracle.input_ids), control_strings=control))
        for hazard in oracle.hazards:
            key = (hazard.kind, hazard.detail[:80])
            if key not in state.hazard_keys and len(report.hazards) < 50:
                state.hazard_keys.add(key)
                report.hazards.append(hazard)
        failures = [f for f in failures if f.key not in ignored]
        if failures:
            # Shrunk for one class, chosen by a fixed rank (so a conversation always raises the
            # same class while Hypothesis shrinks it): its own exception type per class.
            chosen = min(failures, key=_priority)
            raise _failure_class(chosen.key)(failures)

    try:
        run()
    except Unsatisfiable:
        # Not a pass: the harness could not judge this template at all.
        reasons = "; ".join(sorted(set(report.skipped))[:3])
        raise OracleError(f"check_masker could not judge any conversation for {report.tokenizer}: {reasons}") from None
    except Exception as error:
        caught = _collect(error)
        if not caught:
            raise
        return [failure for error in caught for failure in error.failures]
    return []


def assert_masker(masker: Masker, tokenizer, **options: Any) -> Report:
    """``check_masker``, raising AssertionError(str(report)) when a property fails, or when the
    check exercised no tool results on a template that renders them (a pass that tested nothing
    of what breaks multi-turn RL)."""
    report = check_masker(masker, tokenizer, **options)
    if not report.passed:
        raise AssertionError(str(report))
    if report.coverage.gaps:
        raise AssertionError(
            f"{report}\n\nthe check exercised no {' and no '.join(report.coverage.gaps)} although the template renders "
            "them: raise max_examples (or the Hypothesis profile's) so that they are tested"
        )
    return report
