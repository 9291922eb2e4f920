"""The conformance table: (trainer, configuration) x template, as plain text (the terminal) and markdown (the README).

The longer side runs down: one row per template when there are at least as many templates as trainer
configurations (the whole corpus), else one row per trainer configuration (a few templates, every trainer), so the
table stays narrow. A failed cell names what explains each failure class (``Verdict``: a defect and its report,
a convention, an upstream issue, a fix, or ``unexplained: <class>``), what ordinary conversations show apart from
what shows only when a content spells the template's control tokens; ``format_details`` lists the classes below.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from harness.conformance.results import CONTROL_TOKENS, ORDINARY, CellResult, Verdict

Unit = tuple[str, str]  # (trainer, configuration): a row (or a column) of the table
CONTROL_HEADING = "only with control tokens in contents:"


def _axes(results: Sequence[CellResult]):
    """(units run down?, row keys, column keys, {(row, column): result}); a unit is (trainer, configuration)."""
    units = list(dict.fromkeys((r.trainer, r.configuration) for r in results))
    templates = list(dict.fromkeys(r.template for r in results))
    if len(templates) >= len(units):
        return False, templates, units, {(r.template, (r.trainer, r.configuration)): r for r in results}
    return True, units, templates, {((r.trainer, r.configuration), r.template): r for r in results}


def _unit_label(unit: Unit) -> str:
    return f"{unit[0]} [{unit[1]}]"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell_lines(result: CellResult | None, width: int) -> list[str]:
    """A cell as lines: one per label (or failure class), those needing control tokens under a heading."""
    if result is None:
        return ["-"]
    if result.status == "fail":
        if result.verdicts:  # the finding beside its kind: a terminal has no links
            ordinary = [f"{v.label} ({v.slug})" if v.slug else v.label for v in result.labels(ORDINARY)]
            control = [f"{v.label} ({v.slug})" if v.slug else v.label for v in result.labels(CONTROL_TOKENS)]
        else:
            ordinary, control = list(result.ordinary), list(result.control_only)
        lines = ordinary + ([CONTROL_HEADING] + ["  " + label for label in control] if control else [])
        return [_clip(line, width) for line in lines]
    return textwrap.wrap(result.cell, width) or [result.cell]


def format_text(results: Sequence[CellResult], *, width: int = 56) -> str:
    """The table for a terminal; a failed cell lists its labels one per line."""
    if not results:
        return "(no results)"
    units_down, row_keys, column_keys, by_cell = _axes(results)
    if units_down:
        header = [["trainer"], ["configuration"], *([c] for c in column_keys)]
        rows = [[[row[0]], [row[1]], *(_cell_lines(by_cell.get((row, c)), width) for c in column_keys)]
                for row in row_keys]
    else:
        header = [["template"], *([_unit_label(c)] for c in column_keys)]
        rows = [[[row], *(_cell_lines(by_cell.get((row, c)), width) for c in column_keys)] for row in row_keys]
    rows = [header] + rows
    widths = [max(len(line) for row in rows for line in row[k]) for k in range(len(header))]
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


def _link(verdict: Verdict, link_root: str) -> str:
    """The verdict's words for a markdown cell, linked to its report or upstream thread."""
    if verdict.kind == "unexplained":
        return f"unexplained: `{_escape(verdict.failure)}`"
    if not verdict.link:
        return _escape(verdict.label)
    target = verdict.link if verdict.link.startswith("https://") else link_root + verdict.link
    return f"[{_escape(verdict.label)}]({target})"


def _grouped(verdicts: Sequence[Verdict], link_root: str) -> list[str]:
    """The explained labels, then one ``unexplained: `a`, `b` `` for the classes no finding explains."""
    words = [_link(v, link_root) for v in verdicts if v.kind != "unexplained"]
    unexplained = [f"`{_escape(v.failure)}`" for v in verdicts if v.kind == "unexplained"]
    return words + ([f"unexplained: {', '.join(unexplained)}"] if unexplained else [])


def markdown_cell(result: CellResult, *, link_root: str = "") -> str:
    """One cell: ``pass``, ``n/a: ...``, or the labels of its failures (ordinary, then control tokens only)."""
    if result.status != "fail":
        return _escape(result.cell)
    if result.verdicts:
        ordinary = _grouped(result.labels(ORDINARY), link_root)
        control = _grouped(result.labels(CONTROL_TOKENS), link_root)
    else:
        ordinary = [f"`{_escape(f)}`" for f in result.ordinary]
        control = [f"`{_escape(f)}`" for f in result.control_only]
    if not control:
        return ", ".join(ordinary)
    return f"ordinary: {', '.join(ordinary) or 'pass'}<br>control tokens only: {', '.join(control)}"


def format_markdown(results: Sequence[CellResult], *, link_root: str = "") -> str:
    """The same table as GitHub markdown (cells short: kind and link; ``|`` escaped). ``link_root`` is prefixed to the
    reports' paths (docs/findings/...) to reach them from where the markdown is written."""
    if not results:
        return "(no results)"
    units_down, row_keys, column_keys, by_cell = _axes(results)

    def cell(row, column) -> str:
        found = by_cell.get((row, column))
        return markdown_cell(found, link_root=link_root) if found else "-"

    if units_down:
        lines = ["| trainer | configuration | " + " | ".join(column_keys) + " |", "|---" * (len(column_keys) + 2) + "|"]
        lines += [f"| {row[0]} | {_escape(row[1])} | " + " | ".join(cell(row, c) for c in column_keys) + " |"
                  for row in row_keys]
    else:
        lines = ["| template | " + " | ".join(_escape(_unit_label(c)) for c in column_keys) + " |",
                 "|---" * (len(column_keys) + 1) + "|"]
        lines += [f"| {row} | " + " | ".join(cell(row, c) for c in column_keys) + " |" for row in row_keys]
    return "\n".join(lines)


def format_details(results: Sequence[CellResult], *, link_root: str = "") -> str:
    """Below the table: each failed cell's classes, grouped by what they need in the contents and what explains
    them."""
    lines = []
    for result in results:
        if result.status != "fail":
            continue
        lines.append(f"- {result.trainer} [{result.configuration}], {result.template} "
                     f"({result.examples} conversations):")
        verdicts = result.verdicts or tuple(
            Verdict(f, CONTROL_TOKENS if f in result.control_only else ORDINARY, "unexplained", f"unexplained: {f}")
            for f in result.failures)
        groups: dict[tuple[str, str], list[Verdict]] = {}
        for contents in (ORDINARY, CONTROL_TOKENS):
            for verdict in verdicts:
                if verdict.contents == contents:
                    groups.setdefault((contents, verdict.slug), []).append(verdict)
        for (contents, slug), group in groups.items():
            where = "ordinary conversations" if contents == ORDINARY else "only with control tokens in contents"
            first = group[0]
            what = "no finding explains them" if not slug else (
                f"{_link(first, link_root)} `{slug}`: {_escape(first.title)}")
            classes = ", ".join(f"`{_escape(v.failure)}`" for v in group)
            lines.append(f"  - {where}: {classes}: {what}")
    return "\n".join(lines)
