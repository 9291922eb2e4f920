"""Where the evaluation data files live (HellaSwag, GSM8K jsonl), mirroring ``tokenizer_registry``.

Search order for a data file NAME (e.g. ``gsm8k_test.jsonl``):

1. ``$HARNESS_DATA_DIR/NAME`` — the setting.
2. ``../shared/data/NAME`` relative to the current directory, then relative to the
   repository that holds this package (the layout of this project's CI).

Data files are never copied into the repository. A missing file is not an error by
itself: tests skip with ``missing_reason(name)``, which names the setting to change.
"""

from __future__ import annotations

from pathlib import Path

from harness.assets import roots as asset_roots

ENV_VAR = "HARNESS_DATA_DIR"

HELLASWAG_FILE = "hellaswag_val_subset1000.jsonl"
GSM8K_TEST_FILE = "gsm8k_test.jsonl"


def search_roots() -> list[Path]:
    """Folders searched for data files, in order (the setting first)."""
    return asset_roots.search_roots(ENV_VAR, "data")


def find_data_file(name: str) -> Path | None:
    """Path of data file ``name`` in the first root that has it; ``None`` when it is nowhere."""
    for root in search_roots():
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def missing_reason(name: str) -> str:
    """The skip reason for a data file that was not found: where we looked and which setting to change."""
    looked = ", ".join(str(r) for r in search_roots())
    return f"data file {name!r} not found in {looked}; set {ENV_VAR} to a folder that holds {name}"
