"""A syrupy extension that keeps one plain-text golden file per chat template in ``golden/``.

Each file holds, per fixed conversation, one token per row: index, id, role, the oracle's expected label, what
each pipeline trains, the token text (see ``harness.golden_masks``). A moved boundary in any pipeline is a
one-line diff, and a failing snapshot prints only the changed rows, each hunk under its conversation's heading.
Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re
from pathlib import Path

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from harness.golden_masks.diff import changed_rows

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"


class GoldenTokenTable(SingleFileSnapshotExtension):
    file_extension = "txt"
    _write_mode = WriteMode.TEXT

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(GOLDEN_DIR)

    @classmethod
    def discovery_dirname(cls, *, test_location) -> str:
        return str(GOLDEN_DIR)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        # test_golden_token_table[qwen3] -> qwen3
        match = re.search(r"\[(.+)\]$", test_location.testname)
        return match.group(1) if match else test_location.testname

    def diff_lines(self, serialized_data, snapshot_data):
        """Only the changed rows (``-`` golden, ``+`` now), not the whole file."""
        yield from changed_rows(str(snapshot_data or ""), str(serialized_data))
