"""Everything the harness asks of ``transformers`` (and of its ``tokenizers``): no other harness module imports them.

- ``tokenizers``: loading tokenizers offline, encoding, decoding, special tokens, the bytes each token spells;
- ``chat``: rendering chat templates (with a fixed date), the ``return_assistant_tokens_mask`` masker;
- ``tiny``: tokenizers and models built on the spot (the one BPE builder, the tiny causal LMs), local models;
- ``trainer``: the running ``Trainer`` as a callback sees it.
"""

from __future__ import annotations

from harness.adapters.transformers.chat import FIXED_DATE, assistant_tokens_mask_masker, frozen_template_date, render
from harness.adapters.transformers.tiny import (
    TINY_CHAT_TEMPLATE,
    build_gpt2_lm,
    embedding_rows,
    gpt2_style_tokenizer,
    json_schema,
    load_causal_lm,
    parameter_count,
    tiny_causal_lm,
    train_bpe_tokenizer,
    word_level_tokenizer,
)
from harness.adapters.transformers.tokenizers import (
    added_tokens,
    convert_ids_to_tokens,
    decode,
    decode_token,
    encode,
    encode_with_offsets,
    load_tokenizer,
    special_token_strings,
    token_bytes,
    token_id_span,
)
from harness.adapters.transformers.trainer import (
    log_to_trainer,
    running_trainer,
    trainer_callback_base,
    trainer_logger,
)

__all__ = [
    "FIXED_DATE",
    "TINY_CHAT_TEMPLATE",
    "added_tokens",
    "assistant_tokens_mask_masker",
    "build_gpt2_lm",
    "convert_ids_to_tokens",
    "decode",
    "decode_token",
    "embedding_rows",
    "encode",
    "encode_with_offsets",
    "frozen_template_date",
    "gpt2_style_tokenizer",
    "json_schema",
    "load_causal_lm",
    "load_tokenizer",
    "log_to_trainer",
    "parameter_count",
    "render",
    "running_trainer",
    "special_token_strings",
    "tiny_causal_lm",
    "token_bytes",
    "token_id_span",
    "train_bpe_tokenizer",
    "trainer_callback_base",
    "trainer_logger",
    "word_level_tokenizer",
]
