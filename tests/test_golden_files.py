"""What is trained, per chat template, locked in golden/<template>.txt (one token per row).

Each file holds the fixed conversations of ``harness.golden_masks.conversations`` with the oracle's expected
labels and, per pipeline (``harness.golden_masks.pipelines.PIPELINES``: transformers' assistant mask with trl's
training template, trl's SFT collator), what it trains. A change in a template, a tokenizer, the oracle or a
pipeline's masking fails here with the changed rows only. Templates that print today's date see a fixed date.

With ``$HARNESS_GOLDEN_OUT`` set (``python -m harness guard`` sets it), the rendered files are also written
there, so golden differences between library versions can be printed as token rows.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.assets.tokenizers import KNOWN_HUB_IDS


@pytest.mark.parametrize("name", sorted(KNOWN_HUB_IDS))
def test_golden_token_table(name, load_tokenizer_or_skip, golden_tokens):
    from harness.golden_masks.table import golden_text

    text = golden_text(name, load_tokenizer_or_skip(name))
    out = os.environ.get("HARNESS_GOLDEN_OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{name}.txt").write_text(text, encoding="utf-8")
    assert text == golden_tokens  # golden/<name>.txt, through the plugin's fixture (ini harness_golden_dir)
