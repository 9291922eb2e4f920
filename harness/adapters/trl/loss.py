"""trl's SFT training step for the check at the loss (``harness.check_training_step``), in each documented
configuration the loss table runs (``SFT_LOSS_CONFIGURATIONS``).

``sft_training_step(tokenizer, **options)`` -> ``step(model, conversations) -> loss``: an ``SFTTrainer`` built once
per model with ``SFTConfig(**options)``; each optimizer step's conversations go through the trainer's own dataset
preparation (``_prepare_dataset``: trl's choice of chat template, tokenization, labels, packing) and its
``data_collator`` (padded rows with an attention mask; one flattened row with position ids and no mask for
``padding_free`` and ``"bfd"`` / ``"bfd_split"`` packing, which trl makes padding-free), split
into ``gradient_accumulation_steps`` micro-batches as the Trainer's dataloader would (``ceil(R / steps)`` examples
each, in order), counted by ``Trainer.get_batch_samples`` (``num_items_in_batch``: the trained tokens of every
micro-batch of the optimizer step), and each micro-batch's loss is what ``Trainer.training_step`` backpropagates
(trl's ``compute_loss`` with ``num_items_in_batch``, then the Trainer's scaling for accumulation). The step returns
their sum: the gradient of one optimizer step.

Each conversation is one dataset row, as its format says (``dataset_format``):

- ``"conversational"``: ``{"messages", "tools"}`` (trl's language-modelling conversational format);
- ``"prompt_completion"``: ``{"prompt": messages[:-1], "completion": [messages[-1]], "tools"}``: the conversation's
  last message (the final assistant answer) is the completion, everything before it the prompt. trl trains the
  completion only (``completion_only_loss=None``, the default, is True for this format), so the step's policy
  trains the last assistant turn only (``Policy(turns="last")``): earlier assistant turns are prompt.

The documented normalisation is a mean over the optimizer step's trained tokens (``"token"``): trl's
``compute_loss`` divides the summed token losses by ``num_items_in_batch``
(``trl/trainer/sft_trainer.py:1616-1618`` at 1.16.0), which the Trainer counts over all accumulated micro-batches.
"""

from __future__ import annotations

import math

from harness.loss.configurations import LossConfiguration
from harness.masking.oracle import Policy

TRL_SFT_POLICY = Policy(train_glue_after_stop=True)
# Completion-only loss on a prompt-completion row: the completion (the last assistant message, its stop token and
# the "\n" the template writes after it) is trained, every earlier turn is prompt.
TRL_COMPLETION_POLICY = Policy(turns="last", train_glue_after_stop=True)

DATASET_FORMATS = ("conversational", "prompt_completion")


def _rows(conversations, dataset_format: str) -> list[dict]:
    import json

    rows = []
    for k, c in enumerate(conversations):
        messages = [dict(m) for m in c["messages"]]
        tools = json.dumps(list(c["tools"])) if c.get("tools") else None
        if dataset_format == "conversational":
            rows.append({"messages": messages, "tools": tools})
            continue
        if not messages or messages[-1].get("role") != "assistant":
            raise ValueError(f"conversation {k}: a prompt-completion row needs the conversation to end with an "
                             f"assistant message (the completion), it ends with "
                             f"{messages[-1].get('role') if messages else 'nothing'!r}")
        rows.append({"prompt": messages[:-1], "completion": messages[-1:], "tools": tools})
    return rows


def _trainer(tokenizer, model, *, chat_template: str | None, dataset_format: str, sft_options: dict):
    """An SFTTrainer with ``SFTConfig(**sft_options)`` over a one-row placeholder dataset of ``dataset_format``,
    never trained (its dataset preparation and collator are what the step uses)."""
    import copy
    import tempfile

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from harness.adapters.trl._private import random_dataset_fingerprints
    from harness.adapters.trl.config import common_args, quiet

    quiet()
    tokenizer = copy.deepcopy(tokenizer) if tokenizer.pad_token is None else copy.copy(tokenizer)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    placeholder = _rows([{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
                          "tools": None}], dataset_format)
    args = SFTConfig(shuffle_dataset=False, dataset_num_proc=None, per_device_train_batch_size=2,
                     **sft_options, **common_args(tempfile.mkdtemp(prefix="harness-sft-step-"), seed=0))
    try:
        with random_dataset_fingerprints():
            return SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(placeholder),
                              processing_class=tokenizer)
    except ValueError as error:
        raise ValueError(f"trl's SFTTrainer refused SFTConfig({sft_options}) with the chat template of "
                         f"{tokenizer.name_or_path!r}: {error}") from error


def sft_training_step(tokenizer, *, chat_template: str | None = None, dataset_format: str = "conversational",
                      assistant_only_loss: bool = True, completion_only_loss: bool | None = None,
                      packing: bool = False, packing_strategy: str = "bfd", padding_free: bool = False,
                      max_length: int | None = None, gradient_accumulation_steps: int = 1):
    """The SFTTrainer step (see the module) under ``SFTConfig(assistant_only_loss=, completion_only_loss=, packing=,
    packing_strategy=, padding_free=, max_length=, gradient_accumulation_steps=)`` (trl's names and defaults, except
    ``assistant_only_loss=True`` for the conversational rows and ``max_length=None``: no truncation unless packing,
    which needs it). The trainer is built on the first call's model, again if the model changes."""
    if dataset_format not in DATASET_FORMATS:
        raise ValueError(f"dataset_format must be one of {DATASET_FORMATS}, got {dataset_format!r}")
    if isinstance(gradient_accumulation_steps, bool) or not isinstance(gradient_accumulation_steps, int) or \
            gradient_accumulation_steps < 1:
        raise ValueError(f"gradient_accumulation_steps must be a positive int, got {gradient_accumulation_steps!r}")
    sft_options = {"assistant_only_loss": assistant_only_loss, "completion_only_loss": completion_only_loss,
                   "packing": packing, "packing_strategy": packing_strategy, "padding_free": padding_free,
                   "max_length": max_length, "gradient_accumulation_steps": gradient_accumulation_steps}
    built: dict = {}

    def step(model, conversations):
        from datasets import Dataset

        from harness.adapters.trl._private import (loss_before_backward, prepare_sft_dataset,
                                                   random_dataset_fingerprints)

        if built.get("model") is not model:
            built["trainer"] = _trainer(tokenizer, model, chat_template=chat_template, dataset_format=dataset_format,
                                        sft_options=sft_options)
            built["model"] = model
        trainer = built["trainer"]
        with random_dataset_fingerprints():
            prepared = prepare_sft_dataset(trainer, Dataset.from_list(_rows(conversations, dataset_format),
                                                                      on_mixed_types="use_json"), packing=packing)
        columns = [c for c in ("input_ids", "labels", "seq_lengths") if c in prepared.column_names]
        examples = [{c: prepared[i][c] for c in columns} for i in range(len(prepared))]
        size = math.ceil(len(examples) / gradient_accumulation_steps)
        micro_batches = [trainer.data_collator(examples[i:i + size]) for i in range(0, len(examples), size)]
        # As Trainer._inner_training_loop: the optimizer step's micro-batches, counted together.
        samples, num_items_in_batch = trainer.get_batch_samples(iter(micro_batches), len(micro_batches),
                                                                trainer.args.device)
        trainer.current_gradient_accumulation_steps = len(samples)
        return sum(loss_before_backward(trainer, model, inputs, num_items_in_batch) for inputs in samples)

    step.policy = TRL_COMPLETION_POLICY if dataset_format == "prompt_completion" else TRL_SFT_POLICY
    step.normalization = "token"
    return step


# The loss table's rows (combined into harness.adapters.trl.LOSS_CONFIGURATIONS). Places in trl 1.16.0 / transformers
# 5.25.0 are files of the released wheels; the docs pages are https://huggingface.co/docs/trl/v1.16.0/<page>.
_STEP = "harness.adapters.trl.loss:sft_training_step"
_TOKEN_MEAN = ("the loss is the summed token NLL over num_items_in_batch, the step's trained tokens "
               "(trl/trainer/sft_trainer.py:1616-1618)")
# trl's qwen2_5_training.jinja trains the '\n' ending '<|im_start|>assistant\n' (gradient_on_untrained on qwen2.5):
# every row whose labels come from assistant_only_loss=True on qwen2.5-instruct shows it.
_HEADER_NEWLINE = "trl-qwen2_5-training-template-trains-generation-prompt-newline"
# datasets' Json() type (trl's documented dataset for tool calls) rewrites float tool-call arguments (-0.0 -> 0.0):
# rows_match_rendering in every row's search (the conversations carry tools).
_JSON_FLOATS = "datasets-json-type-rounds-tool-call-float-arguments"
# No conversation longer than the packed row: max_length = the check's max_step_tokens (the most tokens a judged step
# holds), so "bfd" never truncates and "bfd_split" / "wrapped" never cut one across rows. Truncating or cutting an
# over-long sequence is each strategy's documented behaviour (sft_config.py:80-82), and a cut conversation is in no
# row whole: that is not judged here.
_PACKED_LENGTH = 2048
_PACKED_CHECK = {"max_step_tokens": _PACKED_LENGTH}
WRAPPED_CONVENTION = "trl-wrapped-packing-attends-across-conversations"

SFT_LOSS_CONFIGURATIONS = (
    LossConfiguration(
        "assistant_only_loss", _STEP, "token",
        "SFTConfig.assistant_only_loss (trl/trainer/sft_config.py:103-106; docs sft_trainer#train-on-assistant-"
        "messages-only), conversational rows; " + _TOKEN_MEAN,
        known=(_HEADER_NEWLINE, _JSON_FLOATS)),
    LossConfiguration(
        "completion_only_loss", _STEP, "token",
        "SFTConfig.completion_only_loss=None: completion-only for prompt-completion rows (trl/trainer/sft_config.py:"
        "97-102; docs sft_trainer#train-on-completion-only); each conversation a conversational prompt-completion "
        "row, its last assistant message the completion, so only the last turn is trained (Policy(turns='last')); "
        + _TOKEN_MEAN,
        options={"dataset_format": "prompt_completion", "assistant_only_loss": False}, known=(_JSON_FLOATS,)),
    LossConfiguration(
        "gradient_accumulation_steps=2", _STEP, "token",
        "TrainingArguments.gradient_accumulation_steps (transformers/training_args.py:260-265); Trainer counts "
        "num_items_in_batch over the accumulated micro-batches (transformers/trainer.py:2326-2404) and does not "
        "divide a loss normalised by it (trainer.py:2147-2156): a token mean over the optimizer step; assistant_only_"
        "loss=True; " + _TOKEN_MEAN,
        options={"gradient_accumulation_steps": 2}, known=(_HEADER_NEWLINE, _JSON_FLOATS)),
    LossConfiguration(
        "packing=bfd", _STEP, "token",
        "SFTConfig.packing / packing_strategy='bfd' (trl/trainer/sft_config.py:77-82; docs reducing_memory_usage"
        "#packing), padding-free by force (sft_trainer.py:914-916: one flattened row, position ids restart per "
        "sequence); assistant_only_loss=True, max_length=2048; " + _TOKEN_MEAN,
        options={"packing": True, "packing_strategy": "bfd", "max_length": _PACKED_LENGTH}, check=_PACKED_CHECK,
        known=(_HEADER_NEWLINE, _JSON_FLOATS)),
    LossConfiguration(
        "packing=bfd_split", _STEP, "token",
        "SFTConfig.packing_strategy='bfd_split' (trl/trainer/sft_config.py:80-82; docs reducing_memory_usage"
        "#packing: identical to 'bfd' when no sequence exceeds max_length, as here); assistant_only_loss=True, "
        "max_length=2048; " + _TOKEN_MEAN,
        options={"packing": True, "packing_strategy": "bfd_split", "max_length": _PACKED_LENGTH},
        check=_PACKED_CHECK, known=(_HEADER_NEWLINE, _JSON_FLOATS)),
    LossConfiguration(
        "packing=wrapped", _STEP, "token",
        "SFTConfig.packing_strategy='wrapped' ('aggressive, cuts mid-sequence', trl/trainer/sft_config.py:80-82; "
        "docs reducing_memory_usage#packing: 'may mix unrelated examples'): not padding-free (sft_trainer.py:916), "
        "an all-ones attention mask and no position ids, so each conversation continues the row's earlier ones by "
        "design; assistant_only_loss=True, max_length=2048; " + _TOKEN_MEAN,
        options={"packing": True, "packing_strategy": "wrapped", "max_length": _PACKED_LENGTH},
        check=_PACKED_CHECK, known=(WRAPPED_CONVENTION, _HEADER_NEWLINE, _JSON_FLOATS)),
    LossConfiguration(
        "padding_free", _STEP, "token",
        "SFTConfig.padding_free (trl/trainer/sft_config.py:83-88; docs reducing_memory_usage#padding-free, which "
        "recommends FlashAttention: here sdpa on CPU, isolated by transformers' masking_utils from the position "
        "ids); assistant_only_loss=True, max_length=None (trl refuses padding_free with max_length unless packing, "
        "sft_trainer.py:999-1004); " + _TOKEN_MEAN,
        options={"padding_free": True}, known=(_HEADER_NEWLINE, _JSON_FLOATS)),
)
