"""``module:factory`` maskers for ``python -m harness report`` in tests (factory(tokenizer) -> masker)."""

from harness.testing import planted as maskers
from harness.testing import reference


def correct(tokenizer):
    return reference.correct_masker(tokenizer, "<|im_end|>")


def tool_responses_trained(tokenizer):
    return maskers.tool_responses_trained(tokenizer, "<|im_end|>")


def correct_cut(tokenizer, max_length: int = 64):
    """The correct masker of a trainer that truncates every row at ``max_length`` tokens."""
    inner = correct(tokenizer)

    def masker(messages, tools):
        out = inner(messages, tools)
        return {key: value[:max_length] for key, value in out.items()}

    return masker
