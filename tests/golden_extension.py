"""This repository's golden files: the library's extension (harness/golden.py) writing to ``golden/``.

Each file is a token table (one token per row: index, id, role, expected label, token text), so a
moved turn boundary shows up as a one-line diff. Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

from harness.golden import golden_extension

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"

GoldenTokenTable = golden_extension(GOLDEN_DIR)
