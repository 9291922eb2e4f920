"""What ``check_masker`` reports: ``Failure`` and ``Report``, how a failure reads (the shrunk conversation, the
token table of an oracle), the order failures are listed in, and the replay file written for each."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.masking.coverage import Coverage
from harness.masking.oracle import Expect, Hazard, Oracle, Policy
from harness.masking.properties import PROPERTIES, Violation
from harness.masking.replay import replay_command, write_replay
from harness.masking.table import EITHER, NOT_TRAINED, TRAINED, TokenRow, format_table, window
from harness.types import FailureProperty

# Reported in this order: how the ids relate to the rendering first, then the label properties.
PROPERTY_ORDER = ["masker_raised", "output_format", "input_ids_match_rendering"] + [p.__name__ for p in PROPERTIES]


@dataclass(frozen=True)
class Failure:
    """One failure class (a property and the kind of token involved) on its own shrunk conversation."""

    property: FailureProperty
    messages: list[dict]
    tools: list[dict] | None
    explanation: str
    kind: str = ""  # the kind of token involved: "tool result", "assistant header", "segmentation" ...
    replay: str | None = None  # the command that shows this conversation token by token
    tokens: tuple[int, ...] = ()  # the offending token indices (empty where the class is about the whole output)

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
    # The instant the chat template read (``strftime_now``), held for the whole check; None when no template read it.
    clock: datetime.datetime | None = None

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
        if self.clock is not None:
            head += "\n" + clock_line(self.clock)
        parts = [head + "\n" + self.coverage.summary()]
        for failure in self.failures:
            parts.append(str(failure))
        if self.hazards:
            kinds = sorted({h.kind for h in self.hazards})
            parts.append("hazards (template/data, not masker failures): " + ", ".join(kinds))
        return "\n\n".join(parts)


def clock_line(instant: datetime.datetime) -> str:
    """What a report says of a template that reads the clock: the one instant every render saw."""
    return (f"clock: the chat template reads the clock (strftime_now); every render (oracle, masker, shrinking) saw "
            f"{instant.isoformat(sep=' ')}, and the replay files hold it")


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


def conversation_text(messages: list[dict], tools: list[dict] | None) -> str:
    """The conversation as a report prints it: one line per message, long ones cut (the replay file has them whole)."""
    lines = []
    for k, m in enumerate(messages):
        line = json.dumps(m, ensure_ascii=False)
        lines.append(f"  [{k}] {line if len(line) <= 300 else line[:300] + ' …(cut; the replay file has it whole)'}")
    if tools:
        lines.append(f"  tools: {[t['function']['name'] for t in tools]}")
    return "\n".join(lines)


def explanation(oracle: Oracle, trained: Sequence[bool] | None, violation: Violation, messages, tools) -> str:
    """A violation as a failure reads: its summary, the shrunk conversation and the offending tokens' table."""
    table = token_table(oracle, trained, violation.token_indices) if violation.token_indices else ""
    return (
        f"{violation.summary}\nconversation (shrunk):\n{conversation_text(messages, tools)}\n"
        + (f"tokens (exp = oracle, got = masker; ◀ = offending):\n{table}" if table else "")
    )


def ordered(failures: Iterable[Failure]) -> list[Failure]:
    """Failures in report order: by property (``PROPERTY_ORDER``), then by kind."""
    rank = {name: k for k, name in enumerate(PROPERTY_ORDER)}
    return sorted(failures, key=lambda f: (rank.get(f.property, len(rank)), f.kind))


def _default_replay_dir() -> Path:
    base = os.environ.get("HARNESS_REPORT_DIR")
    return Path(base) / "replays" if base else Path(tempfile.gettempdir()) / "harness-replays"


def with_replays(failures: list[Failure], report: Report, policy: Policy, template_kwargs, replay_dir) -> list[Failure]:
    """``failures``, each with the command replaying its conversation, written whole under ``replay_dir`` (default
    ``$HARNESS_REPORT_DIR/replays``, else the temp folder); a failure whose file cannot be written stays as it is."""
    folder = Path(replay_dir) if replay_dir is not None else _default_replay_dir()
    out = []
    for failure in failures:
        try:
            path = write_replay(folder, tokenizer=report.tokenizer, messages=failure.messages, tools=failure.tools,
                                label=failure.key, template_kwargs=template_kwargs, policy=dataclasses.asdict(policy),
                                clock=report.clock)
        except OSError:  # a read-only place: the report still stands without the file
            out.append(failure)
            continue
        out.append(dataclasses.replace(failure, replay=replay_command(path, report.tokenizer, turns=policy.turns)))
    return out
