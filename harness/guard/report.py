"""What the guard prints: the version-set x test table, and golden differences as token rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.guard.results import ABSENT, PASS


def render_versions(names: Sequence[str], versions: Mapping[str, Mapping[str, str | None]],
                    packages: Sequence[str]) -> str:
    """One row per package, one column per set: what each environment actually has installed."""
    width = max([len(p) for p in packages] + [7])
    columns = [max(len(n), *(len(str(versions[n].get(p))) for p in packages)) for n in names]
    lines = [f"{'package':<{width}}  " + "  ".join(f"{n:<{w}}" for n, w in zip(names, columns))]
    for package in packages:
        cells = [str(versions[n].get(package) or "-") for n in names]
        lines.append(f"{package:<{width}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, columns)))
    return "\n".join(lines)


def render_table(names: Sequence[str], outcomes: Mapping[str, Mapping[str, str]], *, changed_only: bool = False) -> str:
    """Rows: tests (sorted); columns: version sets; cells: pass / FAIL / xfail / XPASS (strict xfail now passes) /
    skip / ERROR / - (not collected there). ``changed_only`` keeps the rows whose cells are not all equal."""
    tests = sorted({test for name in names for test in outcomes.get(name, {})})
    rows = []
    for test in tests:
        cells = [outcomes.get(name, {}).get(test, ABSENT) for name in names]
        if changed_only and len(set(cells)) == 1:
            continue
        rows.append((test, cells))
    width = max([len(t) for t, _ in rows] + [4])
    columns = [max(len(n), 5) for n in names]
    lines = [f"{'test':<{width}}  " + "  ".join(f"{n:<{w}}" for n, w in zip(names, columns))]
    for test, cells in rows:
        lines.append(f"{test:<{width}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, columns)))
    totals = []
    for name in names:
        counts: dict[str, int] = {}
        for cell in outcomes.get(name, {}).values():
            counts[cell] = counts.get(cell, 0) + 1
        totals.append(f"{name}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) if counts else f"{name}: no results")
    if changed_only and len(rows) < len(tests):
        lines.append(f"({len(tests) - len(rows)} test(s) with the same outcome in every set not shown; --all-rows)")
    return "\n".join(lines + totals)


def failing_cells(names: Sequence[str], outcomes: Mapping[str, Mapping[str, str]]) -> int:
    return sum(1 for n in names for cell in outcomes.get(n, {}).values() if cell not in (PASS, "xfail", "skip"))


def golden_differences(baseline: Path, other: Path) -> list[tuple[str, str]]:
    """``[(file name, diff)]`` between two folders of rendered golden files: only the changed token rows, each
    hunk under its conversation's heading; ``-`` the baseline's row, ``+`` the other set's."""
    from harness.golden_masks.diff import changed_rows

    found = []
    for path in sorted(Path(baseline).glob("*.txt")):
        theirs = Path(other) / path.name
        if not theirs.is_file():
            continue
        rows = changed_rows(path.read_text(encoding="utf-8"), theirs.read_text(encoding="utf-8"))
        if rows:
            found.append((path.name, "\n".join(rows)))
    return found
