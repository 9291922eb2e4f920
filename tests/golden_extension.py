"""This repository's golden files: the library's extension (harness/golden.py) writing to ``golden/``.

Each file holds, per fixed conversation, one token per row: index, id, role, the oracle's expected label, what
each pipeline trains, the token text (see ``harness.golden_masks``). A moved boundary in any pipeline is a
one-line diff, and a failing snapshot prints only the changed rows, each hunk under its conversation's heading.
Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

from harness.golden import golden_extension

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"

GoldenTokenTable = golden_extension(GOLDEN_DIR)
