"""``module:factory`` maskers for ``python -m harness report`` in tests (factory(tokenizer) -> masker)."""

from harness.testing import planted as maskers


def correct(tokenizer):
    return maskers.correct_masker(tokenizer, "<|im_end|>")


def tool_responses_trained(tokenizer):
    return maskers.tool_responses_trained(tokenizer, "<|im_end|>")
