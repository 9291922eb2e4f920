"""``check_masker`` / ``assert_masker``: the public contract.

Hypothesis generates conversations the tokenizer's template accepts, the oracle says which
tokens the model generated, and every named property is judged on the masker's output. The
first failing conversation is shrunk to a minimal one and reported with a token table.
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.alignment import Alignment, Match, align
from harness.masking.conversation import validate_conversation
from harness.masking.coverage import Coverage, features_of, inexpressible
from harness.masking.output import MaskerOutput, MaskerOutputError, normalize_output
from harness.masking.oracle import Expect, Hazard, Oracle, OracleError, Policy, build_oracle
from harness.masking.properties import PROPERTIES, Violation, violations
from harness.masking.replay import replay_command, write_replay
from harness.masking.table import EITHER, NOT_TRAINED, TRAINED, TokenRow, format_table, window
from harness.types import FailureProperty, Masker


# Reported in this order: how the ids relate to the rendering first, then the label properties.
_PROPERTY_ORDER = ["masker_raised", "output_format", "input_ids_match_rendering"] + [p.__name__ for p in PROPERTIES]


@dataclass(frozen=True)
class Failure:
    """One failure class (a property and the kind of token involved) on its own shrunk conversation."""

    property: FailureProperty
    messages: list[dict]
    tools: list[dict] | None
    explanation: str
    kind: str = ""  # the kind of token involved: "tool result", "assistant header", "segmentation" ...
    replay: str | None = None  # the command that shows this conversation token by token

    @property
    def key(self) -> str:
        return f"{self.property}[{self.kind}]" if self.kind else self.property

    def __str__(self) -> str:
        text = f"[{self.key}] {self.explanation}"
        return text + (f"\nreplay: {self.replay}" if self.replay else "")


@dataclass
class Report:
    """What ``check_masker`` found. ``str(report)`` is the readable verdict."""

    tokenizer: str
    policy: Policy
    examples: int = 0
    failures: list[Failure] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # conversations the oracle could not judge
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = (
            f"check_masker on {self.tokenizer}: {'PASSED' if self.passed else 'FAILED'} "
            f"({self.examples} conversations, policy {self.policy})"
        )
        if self.failures:
            head += f"\n{len(self.failures)} distinct failure(s): " + ", ".join(f.key for f in self.failures)
        parts = [head + "\n" + self.coverage.summary()]
        for failure in self.failures:
            parts.append(str(failure))
        if self.hazards:
            kinds = sorted({h.kind for h in self.hazards})
            parts.append("hazards (template/data, not masker failures): " + ", ".join(kinds))
        return "\n\n".join(parts)


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


def _rows(oracle: Oracle, trained: Sequence[bool] | None, flagged: Sequence[int]) -> list[TokenRow]:
    marks = {Expect.TRAIN: TRAINED, Expect.SKIP: NOT_TRAINED, Expect.EITHER: EITHER}
    flagged_set = set(flagged)
    indices = window(flagged, len(oracle.input_ids)) if flagged else range(len(oracle.input_ids))
    rows = []
    for i in indices:
        a, b = oracle.offsets[i]
        got = None
        if trained is not None and i < len(trained):
            got = TRAINED if trained[i] else NOT_TRAINED
        rows.append(
            TokenRow(i, oracle.input_ids[i], oracle.text[a:b], oracle.token_roles[i], marks[oracle.expected[i]], got, i in flagged_set)
        )
    return rows


def token_table(oracle: Oracle, trained: Sequence[bool] | None = None, flagged: Sequence[int] = (), *, color: bool = False) -> str:
    """The token table of a conversation: all rows, or the flagged rows with context."""
    return format_table(_rows(oracle, trained, flagged), color=color)


def _conversation_text(messages: list[dict], tools: list[dict] | None) -> str:
    lines = []
    for k, m in enumerate(messages):
        line = json.dumps(m, ensure_ascii=False)
        lines.append(f"  [{k}] {line if len(line) <= 300 else line[:300] + ' …(cut; the replay file has it whole)'}")
    if tools:
        lines.append(f"  tools: {[t['function']['name'] for t in tools]}")
    return "\n".join(lines)


def _explain(oracle: Oracle, trained: Sequence[bool] | None, violation: Violation, messages, tools) -> str:
    table = token_table(oracle, trained, violation.token_indices) if violation.token_indices else ""
    return (
        f"{violation.summary}\nconversation (shrunk):\n{_conversation_text(messages, tools)}\n"
        + (f"tokens (exp = oracle, got = masker; ◀ = offending):\n{table}" if table else "")
    )


def _token_list(tokenizer, ids: Sequence[int], center: int, *, context: int = 3) -> str:
    lo, hi = max(0, center - context), min(len(ids), center + context + 1)
    cells = [f"[{i}] {ids[i]} {hf.decode_token(tokenizer, ids[i])!r}" + (" ◀" if i == center else "") for i in range(lo, hi)]
    return "  " + "\n  ".join(cells) if cells else "  (none: the ids end here)"


def _ids_finding(tokenizer, oracle: Oracle, ids: list[int], alignment: Alignment) -> Violation:
    what = {
        Match.RESEGMENTED: ("segmentation", "input_ids spell the rendering's text with other token boundaries "
                            "(tokenized piece by piece?): a model trained on this segmentation is served another. "
                            "Labels are judged on the characters each token spells."),
        Match.TRUNCATED: ("truncated", "input_ids stop before the end of the rendering (truncated?): "
                          "the turns after the cut are never trained. Labels are judged on the part kept."),
        Match.DIFFERENT: ("text differs", "input_ids do not spell the rendering's text (an extra BOS, a lost or "
                          f"rewritten token; {alignment.detail}): labels cannot be judged position by position."),
    }[alignment.match]
    summary = (
        f"{what[1]}\n(masker: {len(ids)} tokens, rendering: {len(oracle.input_ids)} tokens; first difference at "
        f"masker token {alignment.first_difference}, rendering token {alignment.reference_index})\n"
        f"masker's tokens there:\n{_token_list(tokenizer, ids, alignment.first_difference)}\n"
        f"rendering's tokens there:\n{_token_list(tokenizer, oracle.input_ids, alignment.reference_index)}"
    )
    return Violation("input_ids_match_rendering", summary, (), what[0])


def _raised(messages, tools, error: Exception) -> Failure:
    tb = "".join(traceback.format_exception_only(type(error), error)).strip()
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return Failure(
        "masker_raised", messages, tools,
        f"the masker raised {tb}{at} on a conversation its template renders\nconversation (shrunk):\n"
        f"{_conversation_text(messages, tools)}",
        type(error).__name__,
    )


def judge(
    masker: Masker,
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    policy: Policy = Policy(),
    template_kwargs: Mapping[str, Any] | None = None,
) -> tuple[Oracle, list[Failure]]:
    """Run the masker on one conversation and judge every property, one Failure per failure class.

    Raises ConversationError for a malformed conversation, OracleError if the oracle cannot judge it.
    """
    validate_conversation(messages, tools)
    messages = [dict(m) for m in messages]
    tools = [dict(t) for t in tools] if tools else None
    oracle = build_oracle(tokenizer, messages, tools, policy=policy, template_kwargs=template_kwargs)
    try:
        raw = masker([dict(m) for m in messages], [dict(t) for t in tools] if tools else None)
    except Exception as error:  # the masker's own bug, reported with its traceback
        return oracle, [_raised(messages, tools, error)]
    try:
        output = normalize_output(raw)
    except MaskerOutputError as error:
        return oracle, [Failure("output_format", messages, tools, f"{error}\nconversation (shrunk):\n"
                                f"{_conversation_text(messages, tools)}")]
    view, found, trained = judge_output(tokenizer, oracle, output, policy=policy)
    return view, [
        Failure(v.property, messages, tools, _explain(view, trained, v, messages, tools) if v.token_indices else
                f"{v.summary}\nconversation (shrunk):\n{_conversation_text(messages, tools)}", v.kind)
        for v in found
    ]


def judge_output(
    tokenizer, oracle: Oracle, output: MaskerOutput, *, policy: Policy = Policy()
) -> tuple[Oracle, list[Violation], list[bool] | None]:
    """``(view, violations, trained)``: every violation of a masker's normalised output, the oracle
    aligned with its tokens, and which of those tokens it trains (None where nothing lines up).

    ids that spell the rendering with other boundaries, or a prefix of it, are judged on the
    characters each token spells (``Oracle.realigned``); token indices then refer to the masker's
    tokens. ids that spell other text get only the ``input_ids_match_rendering`` violation.
    """
    output = _without_padding(tokenizer, oracle, output)
    alignment = align(tokenizer, oracle, output.input_ids)
    found: list[Violation] = []
    if alignment.match is not Match.SAME:
        finding = _ids_finding(tokenizer, oracle, output.input_ids, alignment)
        if alignment.match is Match.RESEGMENTED and policy.segmentation is None:
            oracle.hazards.append(Hazard("resegmented", None, finding.summary.split("\n")[0]))
        else:
            found.append(finding)
    if alignment.match is Match.DIFFERENT:
        return oracle, found, None
    view = oracle if alignment.match is Match.SAME else oracle.realigned(output.input_ids, alignment.offsets)
    return view, found + violations(view, output), output.trained


def _without_padding(tokenizer, oracle: Oracle, output: MaskerOutput) -> MaskerOutput:
    """``output`` less the untrained pad tokens a collator added before or after the rendering
    (``pad_to_multiple_of``, left padding), reported as a ``padded`` hazard; unchanged otherwise."""
    import dataclasses

    pad = getattr(tokenizer, "pad_token_id", None)
    ids = output.input_ids
    if pad is None or len(ids) <= len(oracle.input_ids):
        return output
    keep_end = len(oracle.input_ids) - len(list(_rstrip(oracle.input_ids, pad)))  # pads the rendering itself ends with
    keep_start = len(oracle.input_ids) - len(list(_lstrip(oracle.input_ids, pad)))
    lo, hi = 0, len(ids)
    while hi > lo and ids[hi - 1] == pad and not output.trained[hi - 1]:
        hi -= 1
    while lo < hi and ids[lo] == pad and not output.trained[lo]:
        lo += 1
    lo, hi = max(0, lo - keep_start), min(len(ids), hi + keep_end)
    if (lo, hi) == (0, len(ids)):
        return output
    oracle.hazards.append(Hazard("padded", None, f"{lo} pad token(s) before and {len(ids) - hi} after the rendering "
                                 f"(untrained) were set aside; token indices count from the first one kept"))
    labels = output.labels[lo:hi] if output.labels is not None else None
    return dataclasses.replace(output, input_ids=ids[lo:hi], trained=output.trained[lo:hi], labels=labels)


def _rstrip(ids: list[int], pad: int) -> list[int]:
    end = len(ids)
    while end and ids[end - 1] == pad:
        end -= 1
    return ids[:end]


def _lstrip(ids: list[int], pad: int) -> list[int]:
    start = 0
    while start < len(ids) and ids[start] == pad:
        start += 1
    return ids[start:]


def _default_replay_dir() -> Path:
    base = os.environ.get("HARNESS_REPORT_DIR")
    return Path(base) / "replays" if base else Path(tempfile.gettempdir()) / "harness-replays"


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
    policy: Policy = Policy(),
    template_kwargs: Mapping[str, Any] | None = None,
    max_turns: int = 4,
    conversations=None,
    replay_dir: str | Path | None = None,
    max_rounds: int = 8,
) -> Report:
    """Check ``masker`` on conversations generated for ``tokenizer``'s chat template.

    masker(messages, tools) -> {"input_ids", "labels"} or {"input_ids", "assistant_masks"|"loss_mask"|"mask"}.
    ``max_examples`` defaults to the active Hypothesis profile's. Each distinct failure class (a
    property and the kind of token involved: the assistant header, a tool result ...) is reported
    with its own shrunk conversation, written whole under ``replay_dir`` (default
    ``$HARNESS_REPORT_DIR/replays``, else the temp folder) with the command that replays it.
    ``conversations`` overrides the strategy (a Hypothesis strategy of ``{"messages", "tools"}`` dicts).
    ``max_rounds`` bounds the searches for further classes (each round costs up to ``max_examples``).
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
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a harness.Policy, got {type(policy).__name__}")
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError("the tokenizer has no chat_template: set the template the masker renders with")
    report = Report(tokenizer=str(getattr(tokenizer, "name_or_path", type(tokenizer).__name__)), policy=policy)
    if conversations is None:
        from harness.strategies import conversations_for
        from harness.masking.template_probe import probe_template

        conversations = conversations_for(tokenizer, max_turns=max_turns, template_kwargs=template_kwargs)
        report.coverage.cannot_express = inexpressible(probe_template(tokenizer, template_kwargs=template_kwargs))
    state = _SearchState()
    found: dict[str, Failure] = {}
    # Rounds: each finds one failing conversation, shrinks it for its highest-ranked class, and
    # reports every class that conversation shows; the next round sets those classes aside, so a
    # class hidden behind another (a tool-result leak behind a trained header) surfaces with its own
    # shrunk conversation. Until a round finds nothing new: a correct masker costs one round.
    for _ in range(max_rounds):
        new = _search_round(masker, tokenizer, conversations, policy, template_kwargs, max_examples, seed, report,
                            state, ignored=set(found))
        if not new:
            break
        for failure in new:
            found.setdefault(failure.key, failure)
    report.failures = _with_replays(_ordered(found.values()), report, policy, template_kwargs, replay_dir)
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
    rank = {name: k for k, name in enumerate(_PROPERTY_ORDER)}
    kind_rank = {name: k for k, name in enumerate(_KIND_RANK)}
    return (kind_rank.get(failure.kind, len(kind_rank) // 2), rank.get(failure.property, len(rank)), failure.kind)


def _ordered(failures) -> list[Failure]:
    rank = {name: k for k, name in enumerate(_PROPERTY_ORDER)}
    return sorted(failures, key=lambda f: (rank.get(f.property, len(rank)), f.kind))


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


def _with_replays(failures: list[Failure], report: Report, policy: Policy, template_kwargs, replay_dir) -> list[Failure]:
    import dataclasses

    folder = Path(replay_dir) if replay_dir is not None else _default_replay_dir()
    out = []
    for failure in failures:
        try:
            path = write_replay(folder, tokenizer=report.tokenizer, messages=failure.messages, tools=failure.tools,
                                label=failure.key, template_kwargs=template_kwargs, policy=dataclasses.asdict(policy))
        except OSError:  # a read-only place: the report still stands without the file
            out.append(failure)
            continue
        out.append(dataclasses.replace(failure, replay=replay_command(path, report.tokenizer, turns=policy.turns)))
    return out


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
