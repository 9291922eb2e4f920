"""The token table: one row per token with its role and whether it is (expected to be) trained.

Used by failure messages and by ``python -m harness inspect``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TRAINED, NOT_TRAINED, EITHER = "✓", "✗", "~"
_COLORS = {TRAINED: "\x1b[32m", NOT_TRAINED: "\x1b[2m", EITHER: "\x1b[33m"}
_RESET, _RED = "\x1b[0m", "\x1b[31;1m"


@dataclass(frozen=True)
class TokenRow:
    index: int
    token_id: int
    text: str  # the characters of the rendering this token covers
    role: str
    expected: str  # ✓ ✗ ~
    got: str | None = None  # ✓ ✗, or None when only the expectation is shown
    flagged: bool = False


def _show(text: str) -> str:
    return repr(text)[1:-1] if text else "''"


def format_table(rows: Sequence[TokenRow], *, color: bool = False, gap_marker: str = "  ...") -> str:
    """Render rows; a jump in index between consecutive rows prints a gap line."""
    with_got = any(row.got is not None for row in rows)
    header = f"{'idx':>5}  {'id':>7}  {'role':<10} {'exp':^3} " + (f"{'got':^3} " if with_got else "") + "token"
    lines = [header]
    previous = None
    for row in rows:
        if previous is not None and row.index != previous + 1:
            lines.append(gap_marker)
        previous = row.index
        marks = f"{row.expected:^3} " + (f"{row.got or '':^3} " if with_got else "")
        line = f"{row.index:>5}  {row.token_id:>7}  {row.role:<10} {marks}{_show(row.text)}"
        if row.flagged:
            line += "   ◀"
        if color:
            tint = _RED if row.flagged else _COLORS.get(row.got or row.expected, "")
            line = f"{tint}{line}{_RESET}"
        lines.append(line)
    return "\n".join(lines)


def window(indices: Sequence[int], total: int, *, context: int = 2, limit: int = 40) -> list[int]:
    """Token indices to show: each flagged index with ``context`` neighbours, at most ``limit`` rows."""
    shown: set[int] = set()
    for index in indices:
        shown.update(range(max(0, index - context), min(total, index + context + 1)))
        if len(shown) >= limit:
            break
    return sorted(shown)[:limit]
