"""A small byte-level BPE tokenizer for the learning tasks, with Qwen's special tokens and trl's qwen2_5.jinja.

Byte-level (not word-level) because trl parses tool calls from *decoded* text; a word-level tokenizer would decode
``{"name": ...}`` with spaces between tokens and break parsing. The chat template is trl's own copy of the Qwen2.5
template, so trl recognises it: it picks ``qwen2_5_training.jinja`` for assistant-only SFT and the Qwen response
parser for tool calls.
"""

from __future__ import annotations

from collections.abc import Iterable

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
]


def trl_qwen2_5_template() -> str:
    from trl.chat_template_utils import qwen2_5_chat_template

    return qwen2_5_chat_template


def build_task_tokenizer(corpus: Iterable[str], vocab_size: int = 600, *, merge_across_words: bool = False):
    """Train a byte-level BPE over ``corpus`` (digits always split one per token) and wrap it for transformers.

    ``merge_across_words``: merges may span spaces, punctuation and newlines (no regex pre-split), so text repeated
    in every conversation (the chat template's tool preamble, a fixed tool call) becomes one token per stretch
    between special tokens. One boundary is kept: a piece always ends after ``assistant\n``, because the
    generation prompt ends there and a merge with the start of the reply would tokenize training conversations
    differently from rollouts."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    split = [pre_tokenizers.Digits(individual_digits=True)]
    corpus = list(corpus)
    if merge_across_words:
        split.append(pre_tokenizers.Split(Regex(r"(?<=assistant)\n"), behavior="merged_with_previous"))
        # The trainer sees special tokens as plain text; encoding splits them out first. Train on the stretches
        # between them, or the merges would be spent on pieces like "<|im_start|>sy" that never occur.
        special = re.compile("|".join(re.escape(token) for token in SPECIAL_TOKENS))
        corpus = [piece for text in corpus for piece in special.split(text) if piece]
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [*split, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not merge_across_words)]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(corpus, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:2] + SPECIAL_TOKENS[3:],
    )
    tokenizer.chat_template = trl_qwen2_5_template()
    tokenizer.name_or_path = "harness-task-bpe"
    return tokenizer
