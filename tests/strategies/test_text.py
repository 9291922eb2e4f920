"""Message text (harness/strategies/text.py): shrinks to empty, and draws the hard cases."""

from __future__ import annotations

from hypothesis import find, settings

from harness.strategies import texts


def test_texts_shrink_to_empty_and_include_hard_cases():
    fast = settings(database=None, max_examples=200)
    assert find(texts(), lambda s: True, settings=fast) == ""
    assert find(texts(control_strings=["<|im_end|>"]), lambda s: "<|im_end|>" in s, settings=fast) == "<|im_end|>"
    assert len(find(texts(), lambda s: any(ord(c) > 0x590 for c in s), settings=fast)) < 20
    assert all(c in "abcdefghijklmnopqrstuvwxyz " for c in texts(hard=False).example())
