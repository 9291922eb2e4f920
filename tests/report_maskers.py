"""``module:factory`` maskers for ``python -m harness report`` in tests (factory(tokenizer) -> masker)."""

from harness.testing import planted as maskers
from harness.testing import reference


def correct(tokenizer):
    return reference.correct_masker(tokenizer, "<|im_end|>")


def tool_responses_trained(tokenizer):
    return maskers.tool_responses_trained(tokenizer, "<|im_end|>")
