"""``CellResult``: one trainer x configuration x template outcome, and the JSON lines the runner speaks.

The runner (``harness.conformance.runner``, inside a trainer's environment) prints one line per configuration and
template, ``PREFIX`` + JSON; the orchestrator reads them back with ``parse_lines``, ignoring whatever else the
trainer prints, and adds each failure class's ``Verdict`` from the findings registry (``verdicts.classify``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

PREFIX = "HARNESS-CONFORMANCE "
STATUSES = ("pass", "fail", "n/a", "error", "missing")


ORDINARY, CONTROL_TOKENS = "ordinary", "control tokens"  # what a failure class needs in the contents to show
VERDICT_KINDS = ("defect", "convention", "known-upstream", "fixed-upstream", "unexplained")


class RunnerOutputError(ValueError):
    """A runner line that is not a valid cell result."""


@dataclass(frozen=True)
class Verdict:
    """What explains one failure class of a cell: a finding of the registry, or nothing (``unexplained``)."""

    failure: str  # the failure key: "stop_token_trained[stop token]"
    contents: str  # ORDINARY (shows on ordinary conversations) | CONTROL_TOKENS (only when a content spells them)
    kind: str  # defect | convention | known-upstream | fixed-upstream | unexplained
    label: str  # the table's words: "defect", "convention: eot_tokens", "known upstream #12", "fixed in 0.22.0"
    link: str = ""  # the report (docs/findings/<slug>.md, from the repository root) or the upstream URL
    slug: str = ""  # the finding ("" when unexplained)
    title: str = ""

    def __post_init__(self) -> None:
        if self.contents not in (ORDINARY, CONTROL_TOKENS):
            raise RunnerOutputError(f"verdict contents must be {ORDINARY!r} or {CONTROL_TOKENS!r}, got {self.contents!r}")
        if self.kind not in VERDICT_KINDS:
            raise RunnerOutputError(f"verdict kind must be one of {VERDICT_KINDS}, got {self.kind!r}")
        if (self.kind == "unexplained") != (not self.slug):
            raise RunnerOutputError(f"verdict for {self.failure!r}: a finding's slug exactly when explained")


@dataclass(frozen=True)
class CellResult:
    trainer: str  # "axolotl==0.21.0"
    template: str  # a tokenizer name: "qwen2.5-instruct"
    status: str  # pass | fail (failures name the classes) | n/a (reason) | error (reason) | missing (no tokenizer)
    failures: tuple[str, ...] = ()  # failure keys, e.g. "stop_token_trained[stop token]"
    configuration: str = "defaults"  # the adapter's Configuration the masker was built with
    control_only: tuple[str, ...] = ()  # the failures that show only when a content spells the control tokens
    verdicts: tuple[Verdict, ...] = ()  # what explains each failure (the orchestrator adds them)
    reason: str = ""  # n/a, error, missing: why; pass: what the check could not exercise ("" when everything)
    examples: int = 0  # conversations judged
    seconds: float = 0.0
    replays: tuple[str, ...] = ()  # replay files of the failures
    details: str = field(default="", compare=False)  # the report's text (failures with token tables)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise RunnerOutputError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status == "fail" and not self.failures:
            raise RunnerOutputError(f"{self.trainer} x {self.template}: a failed cell names its failure classes")
        if self.status in ("n/a", "error", "missing") and not self.reason:
            raise RunnerOutputError(f"{self.trainer} x {self.template}: status {self.status!r} needs a reason")
        stray = sorted(set(self.control_only) - set(self.failures))
        if stray:
            raise RunnerOutputError(f"{self.trainer} x {self.template}: control_only {stray} are not failures")
        unjudged = sorted(set(self.failures) - {v.failure for v in self.verdicts}) if self.verdicts else []
        if unjudged:
            raise RunnerOutputError(f"{self.trainer} x {self.template}: no verdict for {unjudged}")

    @property
    def ordinary(self) -> tuple[str, ...]:
        """The failures that ordinary conversations show."""
        return tuple(f for f in self.failures if f not in self.control_only)

    def labels(self, contents: str) -> list[Verdict]:
        """One verdict per distinct label and link among the failures needing ``contents``, in failure order."""
        chosen = {}
        for verdict in self.verdicts:
            if verdict.contents == contents:
                chosen.setdefault((verdict.label, verdict.link), verdict)
        return list(chosen.values())

    @property
    def cell(self) -> str:
        """The table's text for this cell."""
        if self.status == "pass":
            return f"pass ({self.reason})" if self.reason else "pass"
        if self.status == "fail" and self.verdicts:
            parts = [(name, ", ".join(_grouped(self.labels(contents))))
                     for name, contents in (("ordinary", ORDINARY), ("control tokens only", CONTROL_TOKENS))]
            return "; ".join(f"{name}: {text}" for name, text in parts if text)
        if self.status == "fail":
            ordinary = ", ".join(self.ordinary)
            control = ", ".join(self.control_only)
            return "; ".join(filter(None, [ordinary, control and f"control tokens only: {control}"]))
        return f"{self.status}: {self.reason}"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> CellResult:
        if not isinstance(data, dict):
            raise RunnerOutputError(f"a cell result is a JSON object, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        missing = sorted({"trainer", "template", "status"} - set(data))
        if unknown or missing:
            raise RunnerOutputError(f"cell result: unknown keys {unknown}, missing keys {missing}: {data!r:.200}")
        values = dict(data)
        for key in ("failures", "replays", "control_only"):
            values[key] = tuple(values.get(key) or ())
        verdicts = values.get("verdicts") or ()
        if not all(isinstance(v, dict) for v in verdicts):
            raise RunnerOutputError(f"cell result: verdicts must be JSON objects: {data!r:.200}")
        try:
            values["verdicts"] = tuple(Verdict(**v) for v in verdicts)
        except TypeError as error:
            raise RunnerOutputError(f"cell result: a malformed verdict ({error}): {data!r:.200}") from None
        return cls(**values)

    def line(self) -> str:
        return PREFIX + json.dumps(self.to_json(), ensure_ascii=False)


def _grouped(verdicts: list[Verdict]) -> list[str]:
    """The explained labels, then one ``unexplained: a, b`` for the classes no finding explains."""
    unexplained = [v.failure for v in verdicts if v.kind == "unexplained"]
    return [v.label for v in verdicts if v.kind != "unexplained"] + (
        [f"unexplained: {', '.join(unexplained)}"] if unexplained else [])


def parse_lines(text: str) -> list[CellResult]:
    """The cell results among a runner's output lines (other lines are the trainer's own logging)."""
    results = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith(PREFIX):
            continue
        try:
            data = json.loads(line[len(PREFIX):])
        except json.JSONDecodeError as error:
            raise RunnerOutputError(f"runner output line {number}: not JSON ({error}): {line[:200]}") from None
        results.append(CellResult.from_json(data))
    return results
