"""A real tokenizer whose ids are folded into a smaller vocabulary (``id % vocab_size``).

For throughput runs only: a GPT-2-124M-shaped model (50,257 tokens) fed text tokenized by a
tokenizer the harness has (the GPT-2 tokenizer is not in the shared set). Speed depends on
sequence lengths, not on which ids they hold; scores from such a run mean nothing.
"""

from __future__ import annotations


class FoldedTokenizer:
    def __init__(self, tokenizer, vocab_size: int):
        self._tokenizer, self.vocab_size = tokenizer, vocab_size
        fold = lambda i: None if i is None else i % vocab_size  # noqa: E731
        self.bos_token_id = fold(tokenizer.bos_token_id)
        self.eos_token_id = fold(tokenizer.eos_token_id)
        self.pad_token_id = fold(tokenizer.pad_token_id)

    def __call__(self, text, **kwargs):
        ids = self._tokenizer(text, **kwargs)["input_ids"]
        return {"input_ids": [i % self.vocab_size for i in ids]}
