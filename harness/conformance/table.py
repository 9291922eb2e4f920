"""The conformance table: trainers x templates, as plain text (the terminal) and markdown (the README)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from harness.conformance.results import CellResult


def _grid(results: Sequence[CellResult]) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    trainers = list(dict.fromkeys(r.trainer for r in results))
    templates = list(dict.fromkeys(r.template for r in results))
    cells = {(r.trainer, r.template): r.cell for r in results}
    return trainers, templates, cells


def _cell_lines(result: CellResult | None, width: int) -> list[str]:
    """A cell as lines: one per failure class, a reason wrapped to ``width``."""
    if result is None:
        return ["-"]
    if result.status == "fail":
        return [key if len(key) <= width else key[: width - 1] + "…" for key in result.failures]
    return textwrap.wrap(result.cell, width) or [result.cell]


def format_text(results: Sequence[CellResult], *, width: int = 44) -> str:
    """One row per template, one column per trainer; a failed cell lists its classes one per line."""
    if not results:
        return "(no results)"
    trainers = list(dict.fromkeys(r.trainer for r in results))
    templates = list(dict.fromkeys(r.template for r in results))
    by_cell = {(r.trainer, r.template): r for r in results}
    rows = [[["template"], *([t] for t in trainers)]]
    rows += [[[template], *(_cell_lines(by_cell.get((t, template)), width) for t in trainers)] for template in templates]
    widths = [max(len(line) for row in rows for line in row[k]) for k in range(len(trainers) + 1)]
    lines = []
    for number, row in enumerate(rows):
        for k in range(max(len(cell) for cell in row)):
            lines.append("  ".join((cell[k] if k < len(cell) else "").ljust(w) for cell, w in zip(row, widths)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(results: Sequence[CellResult]) -> str:
    """The same table as GitHub markdown (cells whole, ``|`` escaped)."""
    trainers, templates, cells = _grid(results)
    lines = ["| template | " + " | ".join(trainers) + " |", "|---" * (len(trainers) + 1) + "|"]
    for template in templates:
        lines.append(f"| {template} | " + " | ".join(_escape(cells.get((t, template), "-")) for t in trainers) + " |")
    return "\n".join(lines)
