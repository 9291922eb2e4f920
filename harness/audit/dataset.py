"""The dataset audit: every row through the pipeline, judged by the oracle, aggregated per failure class.

``audit_row`` judges one row (no shrinking: the row is the example): the checks that need no pipeline
(``data_checks``), then the pipeline's output against the oracle with ``harness.masking.judging.judge``, the same
row judging ``check_masker`` uses. ``audit_dataset`` runs it on every row, in this process, in ``jobs`` worker
processes, or on Ray Data (``harness.audit.parallel``), and returns a ``DatasetAudit``: per class the rows affected,
the tokens affected and the first row ids, and the rows the oracle (or the conversion) could not judge, with why.
Every way of running gives the same verdicts: each row is judged alone, with the tokenizer and pipeline built the
same way, at one instant of the templates' clock.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.audit import data_checks
from harness.audit.dataset_rows import DatasetRow
from harness.audit.pipelines import PipelineSpec, build_masker, policy_of


@dataclass
class RowVerdict:
    """What one row gets wrong: ``classes`` maps each failure class to its detail and the tokens it affects;
    ``unjudged`` says why the row could not be judged ("" when it was)."""

    index: int
    id: str
    classes: dict[str, dict] = field(default_factory=dict)  # key -> {"detail": str, "tokens": int}
    unjudged: str = ""
    hazards: list[str] = field(default_factory=list)  # template/data facts the oracle noted (not failures)
    tokens: int = 0  # the rendering's length (0 when it could not be rendered)

    @property
    def right(self) -> bool:
        return not self.classes and not self.unjudged

    def add(self, key: str, detail: str, tokens: int = 0) -> None:
        if key not in self.classes:
            self.classes[key] = {"detail": detail, "tokens": tokens}

    def to_json(self) -> dict:
        return {"index": self.index, "id": self.id, "classes": self.classes, "unjudged": self.unjudged,
                "hazards": self.hazards, "tokens": self.tokens}

    @classmethod
    def from_json(cls, data: dict) -> RowVerdict:
        return cls(**data)


@dataclass
class AuditContext:
    """What judging a row needs, built once per process from ``AuditSettings``."""

    tokenizer: Any
    masker: Callable | None
    policy: Any
    settings: AuditSettings


@dataclass(frozen=True)
class AuditSettings:
    """Plain values (picklable, JSON-able): each worker builds its ``AuditContext`` from them."""

    tokenizer: str  # a tokenizer name or folder (harness.load_tokenizer)
    pipeline: PipelineSpec
    max_length: int | None = None
    chat_template: str | None = None  # a template text replacing the tokenizer's
    clock: str = ""  # ISO instant the templates' clock is held at (set by audit_dataset)

    def to_json(self) -> dict:
        return {"tokenizer": self.tokenizer, "pipeline": vars(self.pipeline) | {"options": dict(self.pipeline.options)},
                "max_length": self.max_length, "chat_template": self.chat_template, "clock": self.clock}

    @classmethod
    def from_json(cls, data: dict) -> AuditSettings:
        return cls(**{**data, "pipeline": PipelineSpec(**data["pipeline"])})


def build_context(settings: AuditSettings) -> AuditContext:
    from harness.adapters.transformers import load_tokenizer

    tokenizer = load_tokenizer(settings.tokenizer)
    if settings.chat_template is not None:
        tokenizer.chat_template = settings.chat_template
    masker = build_masker(settings.pipeline, tokenizer)
    return AuditContext(tokenizer, masker, policy_of(settings.pipeline, masker), settings)


def audit_row(row: DatasetRow, context: AuditContext) -> RowVerdict:
    """Every class of failure of one row (see the module docstring); never raises for a bad row."""
    from harness.masking.conversation import ConversationError, validate_conversation
    from harness.masking.judging import judge
    from harness.masking.oracle import Expect, OracleError, build_oracle

    verdict = RowVerdict(row.index, row.id)
    if row.error:
        verdict.unjudged = f"not converted: {row.error}"
        return verdict
    messages, tools = row.messages, row.tools
    for issue in data_checks.tool_call_id_issues(messages):
        verdict.add(issue.key, issue.detail)
    tokenizer = context.tokenizer
    for issue in data_checks.control_token_issues(tokenizer, messages):
        verdict.add(issue.key, issue.detail)
    rendering, raised = data_checks.template_error(tokenizer, messages, tools)
    if raised is not None:
        verdict.add(raised.key, raised.detail)
        return verdict
    for issue in data_checks.string_arguments_issues(rendering, messages):
        verdict.add(issue.key, issue.detail)
    try:
        validate_conversation(messages, tools)
    except ConversationError as error:
        verdict.unjudged = f"invalid conversation: {error}"
        return verdict
    try:
        oracle = build_oracle(tokenizer, messages, tools, policy=context.policy)
    except OracleError as error:
        verdict.unjudged = f"oracle refused: {str(error).splitlines()[0][:300]}"
        return verdict
    verdict.tokens = len(oracle.input_ids)
    trained = [i for i, expect in enumerate(oracle.expected) if expect is Expect.TRAIN]
    cut = data_checks.cut_issue(trained[-1] if trained else None, len(oracle.input_ids), context.settings.max_length)
    if cut is not None:
        verdict.add(cut.key, cut.detail, cut.tokens)
    failures = []
    if context.masker is not None:
        oracle, failures = judge(context.masker, tokenizer, messages, tools, policy=context.policy, oracle=oracle)
    ending = data_checks.ending_note(messages)
    verdict.hazards = sorted({hazard.kind for hazard in oracle.hazards} | ({ending} if ending else set()))
    for failure in failures:
        head = failure.explanation.split("\nconversation")[0].strip().splitlines()
        verdict.add(failure.key, head[0][:300] if head else failure.key, len(failure.tokens))
    return verdict


@dataclass
class ClassSummary:
    key: str
    rows: list[str] = field(default_factory=list)  # row ids, in dataset order
    indices: list[int] = field(default_factory=list)  # the same rows' positions in the dataset
    tokens: int = 0
    example: str = ""  # the first row's detail


@dataclass
class DatasetAudit:
    """The verdicts of every row and their aggregation (``summary``, ``dataset_output.format_table``)."""

    dataset: str
    tokenizer: str
    pipeline: str
    verdicts: list[RowVerdict]
    seconds: float = 0.0
    jobs: int = 1
    clock: str = ""
    policy: str = ""

    @property
    def rows(self) -> int:
        return len(self.verdicts)

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts)

    @property
    def passed(self) -> bool:
        return all(v.right for v in self.verdicts)

    def classes(self) -> list[ClassSummary]:
        """One summary per failure class, most rows first."""
        found: dict[str, ClassSummary] = {}
        for verdict in self.verdicts:
            for key, info in verdict.classes.items():
                summary = found.setdefault(key, ClassSummary(key, example=info["detail"]))
                summary.rows.append(verdict.id)
                summary.indices.append(verdict.index)
                summary.tokens += int(info.get("tokens") or 0)
        return sorted(found.values(), key=lambda s: (-len(s.rows), s.key))

    def notes(self) -> dict[str, int]:
        """``{note: rows}``: facts about rows that are not failures (the oracle's hazards, ``ends_with_<role>``)."""
        found: dict[str, int] = {}
        for verdict in self.verdicts:
            for note in verdict.hazards:
                found[note] = found.get(note, 0) + 1
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))

    def unjudged(self) -> dict[str, list[str]]:
        """``{reason: row ids}`` of the rows that could not be judged (reason: its kind and first words)."""
        found: dict[str, list[str]] = {}
        for verdict in self.verdicts:
            if verdict.unjudged:
                found.setdefault(verdict.unjudged[:160], []).append(verdict.id)
        return found

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "tokenizer": self.tokenizer, "pipeline": self.pipeline, "rows": self.rows,
                "right": self.right, "seconds": self.seconds, "jobs": self.jobs, "clock": self.clock,
                "policy": self.policy,
                "classes": [{"class": c.key, "rows": len(c.rows), "share": round(len(c.rows) / max(1, self.rows), 4),
                             "tokens": c.tokens, "first_rows": c.rows[:10], "example": c.example}
                            for c in self.classes()],
                "unjudged": [{"reason": r, "rows": len(ids), "first_rows": ids[:10]}
                             for r, ids in self.unjudged().items()],
                "notes": self.notes()}


def audit_dataset(rows: Sequence[DatasetRow], settings: AuditSettings, *, jobs: int = 1, ray: str | None = None,
                  dataset: str = "", progress: Callable[[int, int], None] | None = None) -> DatasetAudit:
    """Judge every row. ``jobs`` > 1: that many worker processes; ``ray``: Ray Data on the cluster at that address
    (``"local"`` starts one here). The templates' clock is held at one instant for every row and worker."""
    from harness.audit import parallel

    if not settings.clock:
        settings = AuditSettings(**{**vars(settings), "clock": datetime.datetime.now().replace(microsecond=0)
                                    .isoformat()})
    started = time.perf_counter()
    if ray is not None:
        verdicts = parallel.on_ray(rows, settings, address=ray, jobs=jobs, progress=progress)
    elif jobs > 1:
        verdicts = parallel.in_processes(rows, settings, jobs=jobs, progress=progress)
    else:
        verdicts = parallel.in_this_process(rows, settings, progress=progress)
    policy = parallel.policy_text(settings)
    return DatasetAudit(dataset, settings.tokenizer, settings.pipeline.label, sorted(verdicts, key=lambda v: v.index),
                        round(time.perf_counter() - started, 2), jobs, settings.clock, policy)


def audit_rows(rows: Sequence[DatasetRow], tokenizer, masker: Callable | None = None, *, policy=None,
               max_length: int | None = None, dataset: str = "", clock: datetime.datetime | None = None,
               tokenizer_name: str = "") -> DatasetAudit:
    """Judge ``rows`` in this process with a masker object (the pytest fixture's way; ``audit_dataset`` builds the
    pipeline from a spec, for worker processes and Ray). ``policy``: default the masker's own ``policy``, else the
    default contract. The templates' clock is held at ``clock`` (default: now, to the second) for every row."""
    from harness.adapters import transformers as hf
    from harness.masking.policy import Policy

    policy = policy if policy is not None else getattr(masker, "policy", None)
    policy = policy if isinstance(policy, Policy) else Policy()
    instant = (clock or datetime.datetime.now()).replace(microsecond=0)
    name = tokenizer_name or str(getattr(tokenizer, "name_or_path", "tokenizer"))
    label = getattr(masker, "__qualname__", type(masker).__name__) if masker is not None else "none"
    settings = AuditSettings(name, PipelineSpec(label, ""), max_length, None, instant.isoformat())
    context = AuditContext(tokenizer, masker, policy, settings)
    started = time.perf_counter()
    with hf.frozen_template_clock(instant):
        verdicts = [audit_row(row, context) for row in rows]
    return DatasetAudit(dataset, name, label, verdicts, round(time.perf_counter() - started, 2), 1,
                        instant.isoformat(), str(policy))
