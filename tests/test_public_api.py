"""Every public name resolves to what it says, whatever is imported first (no submodule shadows a function)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import harness


def _resolve_all(first: str) -> str:
    return (
        "import importlib, harness\n"
        f"importlib.import_module({first!r})\n"
        "bad = [n for n, m in harness._EXPORTS.items() if getattr(harness, n) is not getattr(importlib.import_module(m), n)]\n"
        "bad += [n for n, m in harness._MODULES.items() if getattr(harness, n) is not importlib.import_module(m)]\n"
        "print(bad)\n"
    )


@pytest.mark.parametrize("first", ["harness", "harness.masking.check", "harness.masking.table", "harness.masking.oracle"])
def test_no_public_name_is_shadowed_by_a_module(first):
    out = subprocess.run([sys.executable, "-c", _resolve_all(first)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_token_table_is_callable_after_check_masker_was_imported(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    harness.check_masker  # noqa: B018 - the import order that used to shadow token_table
    oracle = harness.build_oracle(tokenizer, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    assert "<|im_end|>" in harness.token_table(oracle)
    for name in harness.__all__:
        assert getattr(harness, name) is not None, name
