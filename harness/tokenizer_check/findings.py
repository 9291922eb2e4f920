"""What ``verify_tokenizer`` reports: named ``Finding``s of a severity, gathered in a ``TokenizerReport``, and the
short forms findings print lists in (id ranges, a few tokens of many)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ERROR, WARNING = "error", "warning"
CHECKS = (
    "vocab_size_config", "vocab_size_model", "special_token_single", "special_token_roundtrip",
    "special_token_in_text", "template_control_tokens", "special_ids_agree", "added_tokens_in_training_data",
)


@dataclass(frozen=True)
class Finding:
    """One named finding of a check: its severity, what it says and the tokens involved."""

    check: str
    severity: str  # error | warning
    message: str
    tokens: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.check}] {self.severity}: {self.message}"


@dataclass
class TokenizerReport:
    """Every finding of ``verify_tokenizer``, and the checks skipped for want of their input."""

    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # check -> why it did not run

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def passed(self) -> bool:
        return not self.errors

    def of(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]

    def __str__(self) -> str:
        lines = [str(f) for f in self.findings] or ["no findings"]
        lines += [f"[{check}] skipped: {why}" for check, why in self.skipped.items()]
        return "\n".join(lines)


def id_ranges(ids: Iterable[int]) -> str:
    """Ids as sorted runs: ``"3, 7–9"``."""
    ids = sorted(set(ids))
    parts, start = [], None
    for i, value in enumerate(ids):
        if start is None:
            start = value
        if i + 1 == len(ids) or ids[i + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}–{value}")
            start = None
    return ", ".join(parts)


def shorten(tokens: Sequence[str], limit: int = 6) -> str:
    """The first ``limit`` tokens, and how many there are in all when more."""
    shown = ", ".join(tokens[:limit])
    return shown + (f", … ({len(tokens)} in all)" if len(tokens) > limit else "")
