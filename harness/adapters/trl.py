"""Everything the harness asks of ``trl``. No other harness module imports trl.

Sections:

* SFT data path — ``sft_trainer_masker``: the labels ``SFTTrainer(assistant_only_loss=True)`` would train on,
  read from the trainer's own dataset preparation and data collator.
* SFT warm-up — ``run_sft``: a short SFTTrainer run (assistant-only loss) on a conversational dataset.
* GRPO — ``run_grpo``: a GRPOTrainer run (optionally with tools, through trl's own tool loop), with a
  ``mask_mode`` that deliberately breaks the completion mask for the learning-signal controls, and
  ``grpo_loss_mask_check``: which completion tokens GRPO's loss mask trains on in one real rollout batch.

torch, transformers and trl are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

# ---------------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------------


def _quiet() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("WANDB_DISABLED", "true")
    import datasets

    datasets.disable_progress_bars()


def _common_args(output_dir: str, seed: int) -> dict[str, Any]:
    """TrainingArguments shared by every trainer the harness builds: no saving, no reporting, CPU unless CUDA."""
    import torch

    return {
        "output_dir": output_dir,
        "seed": seed,
        "data_seed": seed,
        "report_to": [],
        "save_strategy": "no",
        "logging_steps": 1,
        "disable_tqdm": True,
        "use_cpu": not torch.cuda.is_available(),
        "dataloader_num_workers": 0,
    }


def tiny_causal_lm_for(tokenizer, *, hidden_size: int = 32, layers: int = 1, heads: int = 4, seed: int = 0):
    """A tiny randomly initialised Qwen2 causal LM sized to ``tokenizer`` (for data-path inspection only)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    return Qwen2ForCausalLM(config)


# ---------------------------------------------------------------------------------------------------------------
# SFT data path
# ---------------------------------------------------------------------------------------------------------------


def _sft_trainer_for_inspection(tokenizer, model, output_dir: str):
    """An SFTTrainer(assistant_only_loss=True) over a one-example placeholder dataset, never trained.

    Building it runs trl's own checks: it swaps in a ``*_training.jinja`` template for known templates and raises
    for a template with no ``{% generation %}`` markers that it cannot patch.
    """
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    placeholder = Dataset.from_list(
        [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "tools": None}]
    )
    args = SFTConfig(
        assistant_only_loss=True,
        max_length=None,
        shuffle_dataset=False,
        dataset_num_proc=None,
        per_device_train_batch_size=1,
        **_common_args(output_dir, seed=0),
    )
    try:
        return SFTTrainer(model=model, args=args, train_dataset=placeholder, processing_class=tokenizer)
    except ValueError as error:
        raise ValueError(
            f"trl's SFTTrainer(assistant_only_loss=True) refused the chat template of {tokenizer.name_or_path!r}: "
            f"{error}"
        ) from error


def trl_template_name(chat_template: str | None) -> str | None:
    """The file name of the trl-shipped template equal to ``chat_template`` (``qwen3_training.jinja``), or None."""
    from pathlib import Path

    import trl

    if not chat_template:
        return None
    for path in sorted((Path(trl.__file__).parent / "chat_templates").glob("*.jinja")):
        if path.read_text(encoding="utf-8") == chat_template:
            return path.name
    return None


def sft_trainer_masker(tokenizer, *, chat_template: str | None = None, model=None):
    """A masker backed by trl's real SFT data path.

    ``masker(messages, tools) -> {"input_ids": [...], "labels": [...]}``: labels are unshifted (HF convention),
    ``-100`` where SFTTrainer would not train and ``labels[i] == input_ids[i]`` where it would. For each call the
    trainer's own ``_prepare_dataset`` tokenizes the one-row conversational dataset ``{"messages", "tools"}`` and
    its ``data_collator`` batches it; the labels are read from the collated batch.

    The trainer is built once per masker (``model`` defaults to a tiny random Qwen2 on CPU). trl chooses the
    template: when the tokenizer's own template has no ``{% generation %}`` markers it swaps in its
    ``*_training.jinja`` variant. ``masker.chat_template_used`` is the template that produced the labels and
    ``masker.training_template_swapped`` tells whether trl replaced the tokenizer's template. A template trl cannot
    patch raises ``ValueError`` when the masker is built.
    """
    import copy
    import json
    import tempfile

    _quiet()
    tokenizer = copy.deepcopy(tokenizer)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model is None:
        model = tiny_causal_lm_for(tokenizer)
    output_dir = tempfile.mkdtemp(prefix="harness-sft-masker-")
    trainer = _sft_trainer_for_inspection(tokenizer, model, output_dir)
    collator = trainer.data_collator

    def masker(messages: list[dict], tools: list[dict] | None) -> dict:
        from datasets import Dataset

        row = {"messages": [dict(m) for m in messages], "tools": json.dumps(list(tools)) if tools else None}
        dataset = Dataset.from_list([row])
        prepared = trainer._prepare_dataset(dataset, trainer.processing_class, trainer.args, False, None, "harness")
        example = {k: prepared[0][k] for k in ("input_ids", "labels")}
        batch = collator([example])
        return {"input_ids": batch["input_ids"][0].tolist(), "labels": batch["labels"][0].tolist()}

    masker.chat_template_used = trainer.chat_template or tokenizer.chat_template
    masker.chat_template_name = trl_template_name(masker.chat_template_used)
    masker.training_template_swapped = trainer.chat_template is not None
    masker.trainer = trainer
    return masker
