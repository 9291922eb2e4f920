"""The conformance table: templates x trainers, as plain text (the terminal) and markdown (the README).

The longer side runs down: one row per template when there are at least as many templates as trainers (the whole
corpus), else one row per trainer (a few templates, every trainer), so the table stays narrow.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from harness.conformance.results import CellResult


def _axes(results: Sequence[CellResult]) -> tuple[str, list[str], list[str], dict[tuple[str, str], CellResult]]:
    """(name of the row axis, row labels, column labels, {(row, column): result})."""
    trainers = list(dict.fromkeys(r.trainer for r in results))
    templates = list(dict.fromkeys(r.template for r in results))
    if len(templates) >= len(trainers):
        return "template", templates, trainers, {(r.template, r.trainer): r for r in results}
    return "trainer", trainers, templates, {(r.trainer, r.template): r for r in results}


def _cell_lines(result: CellResult | None, width: int) -> list[str]:
    """A cell as lines: one per failure class, a reason wrapped to ``width``."""
    if result is None:
        return ["-"]
    if result.status == "fail":
        return [key if len(key) <= width else key[: width - 1] + "…" for key in result.failures]
    return textwrap.wrap(result.cell, width) or [result.cell]


def format_text(results: Sequence[CellResult], *, width: int = 56) -> str:
    """The table for a terminal; a failed cell lists its classes one per line."""
    if not results:
        return "(no results)"
    axis, row_labels, column_labels, by_cell = _axes(results)
    rows = [[[axis], *([c] for c in column_labels)]]
    rows += [[[row], *(_cell_lines(by_cell.get((row, c)), width) for c in column_labels)] for row in row_labels]
    widths = [max(len(line) for row in rows for line in row[k]) for k in range(len(column_labels) + 1)]
    lines = []
    for number, row in enumerate(rows):
        for k in range(max(len(cell) for cell in row)):
            parts = ((cell[k] if k < len(cell) else "").ljust(w) for cell, w in zip(row, widths))
            lines.append("  ".join(parts).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(results: Sequence[CellResult]) -> str:
    """The same table as GitHub markdown (cells whole, ``|`` escaped)."""
    if not results:
        return "(no results)"
    axis, row_labels, column_labels, by_cell = _axes(results)
    lines = [f"| {axis} | " + " | ".join(column_labels) + " |", "|---" * (len(column_labels) + 1) + "|"]
    for row in row_labels:
        cells = (_escape(by_cell[(row, c)].cell) if (row, c) in by_cell else "-" for c in column_labels)
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
