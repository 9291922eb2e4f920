"""Differences between two golden files as the changed token rows only, each hunk under its conversation."""

from __future__ import annotations

import difflib

SECTION_PREFIX = "## "  # a conversation's heading in a golden file


def changed_rows(old: str, new: str) -> list[str]:
    """``-`` rows of ``old`` and ``+`` rows of ``new`` that differ, no context; each hunk is introduced by the
    heading of the conversation it falls in (``@@ line 57: ## one-tool-call``). Empty when equal."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        section = next((old_lines[i] for i in range(min(i1, len(old_lines)) - 1, -1, -1)
                        if old_lines[i].startswith(SECTION_PREFIX)), "")
        out.append(f"@@ line {i1 + 1}: {section}".rstrip(": "))
        out += [f"- {line}" for line in old_lines[i1:i2]]
        out += [f"+ {line}" for line in new_lines[j1:j2]]
    return out
