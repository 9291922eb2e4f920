"""``CellResult``: one trainer x template outcome, and the JSON lines the runner speaks.

The runner (``harness.conformance.runner``, inside a trainer's environment) prints one line per template,
``PREFIX`` + JSON; the orchestrator reads them back with ``parse_lines``, ignoring whatever else the trainer prints.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

PREFIX = "HARNESS-CONFORMANCE "
STATUSES = ("pass", "fail", "n/a", "error", "missing")


class RunnerOutputError(ValueError):
    """A runner line that is not a valid cell result."""


@dataclass(frozen=True)
class CellResult:
    trainer: str  # "axolotl==0.21.0"
    template: str  # a tokenizer name: "qwen2.5-instruct"
    status: str  # pass | fail (failures name the classes) | n/a (reason) | error (reason) | missing (no tokenizer)
    failures: tuple[str, ...] = ()  # failure keys, e.g. "stop_token_trained[stop token]"
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

    @property
    def cell(self) -> str:
        """The table's text for this cell."""
        if self.status == "pass":
            return f"pass ({self.reason})" if self.reason else "pass"
        if self.status == "fail":
            return ", ".join(self.failures)
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
        for key in ("failures", "replays"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)

    def line(self) -> str:
        return PREFIX + json.dumps(self.to_json(), ensure_ascii=False)


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
