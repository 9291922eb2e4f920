"""``check_masker`` / ``assert_masker``: the public contract.

Hypothesis generates conversations the tokenizer's template accepts, the oracle says which
tokens the model generated, and every named property is judged on the masker's output. The
first failing conversation is shrunk to a minimal one and reported with a token table.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.conversation import validate_conversation
from harness.masker_output import MaskerOutputError, normalize_output
from harness.oracle import Expect, Hazard, Oracle, OracleError, Policy, build_oracle
from harness.properties import Violation, violations
from harness.token_table import EITHER, NOT_TRAINED, TRAINED, TokenRow, format_table, window

Masker = Callable[[list[dict], "list[dict] | None"], Mapping[str, Any]]


@dataclass(frozen=True)
class Failure:
    """One property that failed on the (shrunk) conversation."""

    property: str
    messages: list[dict]
    tools: list[dict] | None
    explanation: str

    def __str__(self) -> str:
        return f"[{self.property}] {self.explanation}"


@dataclass
class Report:
    """What ``check_masker`` found. ``str(report)`` is the readable verdict."""

    tokenizer: str
    policy: Policy
    examples: int = 0
    failures: list[Failure] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # conversations the oracle could not judge

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = (
            f"check_masker on {self.tokenizer}: {'PASSED' if self.passed else 'FAILED'} "
            f"({self.examples} conversations, policy {self.policy})"
        )
        parts = [head]
        for failure in self.failures:
            parts.append(str(failure))
        if self.hazards:
            kinds = sorted({h.kind for h in self.hazards})
            parts.append("hazards (template/data, not masker failures): " + ", ".join(kinds))
        return "\n\n".join(parts)


class _MaskerFailed(Exception):
    def __init__(self, failures: list[Failure]):
        super().__init__(failures[0].property)
        self.failures = failures


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
    import json

    lines = [f"  [{k}] {json.dumps(m, ensure_ascii=False)[:300]}" for k, m in enumerate(messages)]
    if tools:
        lines.append(f"  tools: {[t['function']['name'] for t in tools]}")
    return "\n".join(lines)


def _explain(oracle: Oracle, trained: Sequence[bool] | None, violation: Violation, messages, tools) -> str:
    table = token_table(oracle, trained, violation.token_indices) if violation.token_indices else ""
    return (
        f"{violation.summary}\nconversation (shrunk):\n{_conversation_text(messages, tools)}\n"
        + (f"tokens (exp = oracle, got = masker; ◀ = offending):\n{table}" if table else "")
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
    """Run the masker on one conversation and judge every property.

    Raises ConversationError for a malformed conversation, OracleError if the oracle cannot judge it.
    """
    validate_conversation(messages, tools)
    messages = [dict(m) for m in messages]
    tools = [dict(t) for t in tools] if tools else None
    oracle = build_oracle(tokenizer, messages, tools, policy=policy, template_kwargs=template_kwargs)
    try:
        raw = masker([dict(m) for m in messages], [dict(t) for t in tools] if tools else None)
    except Exception as error:  # the masker's own bug, reported with its traceback
        tb = "".join(traceback.format_exception_only(type(error), error)).strip()
        where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        at = f" at {where.filename}:{where.lineno}" if where else ""
        return oracle, [
            Failure("masker_raised", messages, tools, f"the masker raised {tb}{at} on a conversation its template "
                    f"renders\nconversation (shrunk):\n{_conversation_text(messages, tools)}")
        ]
    try:
        output = normalize_output(raw)
    except MaskerOutputError as error:
        return oracle, [Failure("output_format", messages, tools, f"{error}\nconversation (shrunk):\n"
                                f"{_conversation_text(messages, tools)}")]
    found = violations(oracle, output)
    trained = output.trained if output.input_ids == oracle.input_ids else None
    return oracle, [Failure(v.property, messages, tools, _explain(oracle, trained, v, messages, tools)) for v in found]


def check_masker(
    masker: Masker,
    tokenizer,
    *,
    max_examples: int = 100,
    seed: int = 0,
    policy: Policy = Policy(),
    template_kwargs: Mapping[str, Any] | None = None,
    max_turns: int = 4,
    conversations=None,
) -> Report:
    """Check ``masker`` on conversations generated for ``tokenizer``'s chat template.

    masker(messages, tools) -> {"input_ids", "labels"} or {"input_ids", "assistant_masks"|"loss_mask"|"mask"}.
    ``conversations`` overrides the strategy (a Hypothesis strategy of ``{"messages", "tools"}`` dicts).
    """
    from hypothesis import HealthCheck, Phase, given, reject, settings
    from hypothesis import seed as hypothesis_seed

    if not callable(masker):
        raise TypeError(f"masker must be callable(messages, tools), got {type(masker).__name__}")
    if not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"max_examples must be a positive int, got {max_examples!r}")
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError("the tokenizer has no chat_template: set the template the masker renders with")
    if conversations is None:
        from harness.strategies import conversations_for

        conversations = conversations_for(tokenizer, max_turns=max_turns, template_kwargs=template_kwargs)

    name = str(getattr(tokenizer, "name_or_path", type(tokenizer).__name__))
    report = Report(tokenizer=name, policy=policy)
    hazard_keys: set[tuple[str, str]] = set()

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
        report.examples += 1
        try:
            oracle, failures = judge(
                masker, tokenizer, conversation["messages"], conversation.get("tools"),
                policy=policy, template_kwargs=template_kwargs,
            )
        except OracleError as error:
            report.skipped.append(str(error))
            reject()
        for hazard in oracle.hazards:
            key = (hazard.kind, hazard.detail[:80])
            if key not in hazard_keys and len(report.hazards) < 50:
                hazard_keys.add(key)
                report.hazards.append(hazard)
        if failures:
            raise _MaskerFailed(failures)

    from hypothesis.errors import Unsatisfiable

    try:
        run()
    except _MaskerFailed as failed:
        report.failures = failed.failures
    except Unsatisfiable:
        # Not a pass: the harness could not judge this template at all.
        reasons = "; ".join(sorted(set(report.skipped))[:3])
        raise OracleError(f"check_masker could not judge any conversation for {name}: {reasons}") from None
    return report


def assert_masker(masker: Masker, tokenizer, **options: Any) -> Report:
    """``check_masker``, raising AssertionError(str(report)) when a property fails."""
    report = check_masker(masker, tokenizer, **options)
    if not report.passed:
        raise AssertionError(str(report))
    return report
