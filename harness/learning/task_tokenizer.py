"""The learning tasks' tokenizer: a small byte-level BPE with Qwen's special tokens and trl's qwen2_5.jinja.

Byte-level (not word-level) because trl parses tool calls from *decoded* text; a word-level tokenizer would decode
``{"name": ...}`` with spaces between tokens and break parsing. The chat template is trl's own copy of the Qwen2.5
template, so trl recognises it: it picks ``qwen2_5_training.jinja`` for assistant-only SFT and the Qwen response
parser for tool calls.
"""

from __future__ import annotations

from collections.abc import Iterable

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
)


def build_task_tokenizer(corpus: Iterable[str], vocab_size: int = 600, *, merge_across_words: bool = False):
    """Train a byte-level BPE over ``corpus`` (digits always split one per token), EOS ``<|im_end|>``.

    ``merge_across_words``: merges may span spaces, punctuation and newlines, so text repeated in every conversation
    (the chat template's tool preamble, a fixed tool call) becomes one token per stretch between special tokens. One
    boundary is kept: a piece always ends after ``assistant\\n``, because the generation prompt ends there and a merge
    with the start of the reply would tokenize training conversations differently from rollouts."""
    from harness.adapters.transformers import train_bpe_tokenizer
    from harness.adapters.trl import qwen2_5_chat_template

    return train_bpe_tokenizer(
        corpus,
        vocab_size,
        special_tokens=SPECIAL_TOKENS,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=qwen2_5_chat_template(),
        split_digits=True,
        merge_across_words=merge_across_words,
        piece_end=r"(?<=assistant)\n" if merge_across_words else None,
        name="harness-task-bpe",
    )
