"""Everything the harness asks of ``transformers`` (and of its ``tokenizers``): no other harness module imports them.

- ``tokenizers``: loading tokenizers offline, encoding, decoding, special tokens, the bytes each token spells;
- ``chat``: rendering chat templates, the ``return_assistant_tokens_mask`` masker;
- ``clock``: the clock chat templates read (``strftime_now``), held at one instant for a check or a golden file;
- ``tiny``: tokenizers and models built on the spot (the one BPE builder, the tiny causal LMs), local models;
- ``trainer``: the running ``Trainer`` as a callback sees it;
- ``training_step``: ``Trainer`` with ``DataCollatorWithFlattening`` as a step for ``harness.check_training_step``.
"""

from __future__ import annotations

from harness.adapters.transformers.chat import assistant_tokens_mask_masker, render
from harness.adapters.transformers.clock import (
    FIXED_DATE,
    TemplateClock,
    frozen_template_clock,
    frozen_template_date,
    held_template_clock,
    template_now,
)
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
from harness.adapters.transformers.training_step import flattening_training_step
from harness.loss.configurations import LossConfiguration
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

# The loss table's rows (harness.loss.table_cli): Trainer with DataCollatorWithFlattening, its labels the harness's.
LOSS_CONFIGURATIONS = (
    LossConfiguration(
        "Trainer + DataCollatorWithFlattening", "harness.adapters.transformers.training_step:flattening_reference_step",
        "token", "transformers 5.25 data/data_collator.py DataCollatorWithFlattening (position_ids restart per "
        "sequence, padding-free); trainer.py compute_loss with num_items_in_batch: a mean over the step's tokens",
        check={"conversations_per_step": [2, 3]}),
    LossConfiguration(
        "Trainer, gradient_accumulation_steps=2", "harness.adapters.transformers.training_step:padded_reference_step",
        "token", "transformers 5.25 trainer.py _get_num_items_in_batch (the trained tokens of all accumulated "
        "micro-batches) and compute_loss(num_items_in_batch=...): the token mean over the optimizer step, the fix of "
        "the 2024 accumulation bug (v4.46)", options={"gradient_accumulation_steps": 2},
        check={"conversations_per_step": [3, 4]}),
    LossConfiguration(
        "Trainer, 2 devices, average_tokens_across_devices=True", "harness.adapters.transformers.training_step:"
        "padded_reference_step", "token", "transformers 5.25 TrainingArguments.average_tokens_across_devices "
        "(default True): num_items_in_batch gathered over devices, compute_loss scales by num_processes; devices "
        "emulated in one process (harness/adapters/transformers/training_step.py)", options={"devices": 2},
        check={"conversations_per_step": [3, 4]}),
    LossConfiguration(
        "Trainer, 2 devices, average_tokens_across_devices=False", "harness.adapters.transformers.training_step:"
        "padded_reference_step", "micro_batch_token", "transformers 5.25 TrainingArguments."
        "average_tokens_across_devices=False: each device normalises by its own trained tokens, DDP averages the "
        "devices (documented as the non-averaged alternative)", options={"devices": 2,
                                                                          "average_tokens_across_devices": False},
        check={"conversations_per_step": [3, 4]}),
)

__all__ = [
    "LOSS_CONFIGURATIONS",
    "FIXED_DATE",
    "flattening_training_step",
    "TINY_CHAT_TEMPLATE",
    "TemplateClock",
    "added_tokens",
    "assistant_tokens_mask_masker",
    "build_gpt2_lm",
    "convert_ids_to_tokens",
    "decode",
    "decode_token",
    "embedding_rows",
    "encode",
    "encode_with_offsets",
    "frozen_template_clock",
    "frozen_template_date",
    "gpt2_style_tokenizer",
    "held_template_clock",
    "json_schema",
    "load_causal_lm",
    "load_tokenizer",
    "log_to_trainer",
    "parameter_count",
    "render",
    "running_trainer",
    "special_token_strings",
    "template_now",
    "tiny_causal_lm",
    "token_bytes",
    "token_id_span",
    "train_bpe_tokenizer",
    "trainer_callback_base",
    "trainer_logger",
    "word_level_tokenizer",
]
