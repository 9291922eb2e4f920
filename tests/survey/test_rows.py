"""Survey rows: what the probe adapted (harness/survey/rows.py)."""

from __future__ import annotations

from harness.survey import survey_row


def test_what_the_probe_adapted_is_listed(load_tokenizer_or_skip):
    load_tokenizer_or_skip("hermes-3-llama-3.1-tool-use")
    row = survey_row("hermes-3-llama-3.1-tool-use", examples=2)
    assert "tools required" in row.adapted, row.adapted
