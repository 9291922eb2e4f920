"""Prefix stability (template x transition) emitted as data (``harness.adapters.renderers.prefix_stability``)."""

from __future__ import annotations

import json


def test_prefix_stability_table(load_tokenizer_or_skip, tmp_path, request):
    """The template x transition table as JSON (written to --prefix-table-out or tmp) and printed."""
    from harness.adapters.renderers import TRANSITIONS, format_prefix_table, prefix_stability_table

    names = ["qwen2.5-instruct", "qwen3", "deepseek-r1-distill-qwen-1.5b", "llama-3.1-instruct", "llama-3.2-instruct",
             "gemma-2-it", "gemma-3-it", "gpt-oss-20b", "phi-3.5-mini-instruct", "smollm3-3b", "aya-expanse"]
    rows = prefix_stability_table(names, loader=load_tokenizer_or_skip)
    assert len(rows) == len(names) * len(TRANSITIONS)
    (tmp_path / "prefix_stability.json").write_text(json.dumps(rows, indent=1))
    print("\n" + format_prefix_table(rows))
    cell = {(r["template"], r["transition"]): r for r in rows}
    # Qwen3 drops the reasoning of turns before the last user query: appending a user message rewrites history.
    assert cell[("qwen3", "user")]["hf_text_prefix_stable"] is False
    assert cell[("llama-3.1-instruct", "user")]["hf_text_prefix_stable"] is True
    # A renderer declaring prefix stability must be stable on every transition it renders.
    for r in rows:
        if r["renderer_declares_prefix_stable"] and r["renderer_ids_prefix_stable"] is not None:
            assert r["renderer_ids_prefix_stable"], r
