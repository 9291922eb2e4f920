"""A syrupy extension that keeps one plain-text golden file per chat template in ``golden/``.

Each file is a token table (one token per row: index, id, role, expected label, token text), so a
moved turn boundary shows up as a one-line diff. Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re
from pathlib import Path

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

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
