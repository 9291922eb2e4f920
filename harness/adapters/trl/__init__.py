"""Everything the harness asks of ``trl`` (and of ``datasets``, which trl's trainers take). No other harness
module imports trl or datasets.

- ``sft``: trl's SFT data path read without training (``sft_trainer_masker``, collated batches, its loss);
- ``templates``: the chat templates trl ships and trains with;
- ``training``: the SFT warm-up and GRPO runs of ``harness.learning`` (``run_sft``, ``run_grpo``);
- ``grpo``: GRPO's arguments and loss-mask modes (``MASK_MODES``, the broken-mask controls);
- ``loss``: SFTTrainer's training steps for ``harness.check_training_step`` (``sft_training_step``, and its rows of
  the loss table, ``SFT_LOSS_CONFIGURATIONS``);
- ``grpo_loss``: GRPOTrainer's training step per ``loss_type`` and through the tool loop (``GRPO_LOSS_CONFIGURATIONS``);
- ``rollouts``: one real GRPO rollout batch with what the model sampled (``grpo_rollout_batch``);
- ``episodes``: a scripted GRPO episode through trl's tool loop (``scripted_grpo_episode``);
- ``config``: the quiet environment and TrainingArguments every trainer shares, ``release``;
- ``_private``: every call to a private trl (datasets, accelerate) API, with the version it was written against.

torch, transformers and trl are imported inside functions, so importing this package is cheap.
"""

from __future__ import annotations

from harness.adapters.trl.config import release
from harness.adapters.trl.episodes import calculator, copy_tokenizer, scripted_grpo_episode
from harness.adapters.trl.grpo_loss import GRPO_LOSS_CONFIGURATIONS
from harness.adapters.trl.loss import SFT_LOSS_CONFIGURATIONS, TRL_SFT_POLICY, sft_training_step
from harness.adapters.trl.grpo import MASK_MODES, break_tool_mask
from harness.adapters.trl.rollouts import grpo_rollout_batch
from harness.adapters.trl.sft import sft_collated_batch, sft_loss_fn, sft_prompt_completion_labels, sft_trainer_masker
from harness.adapters.trl.templates import qwen2_5_chat_template, training_chat_template, trl_template_name
from harness.adapters.trl.training import run_grpo, run_sft

# The loss table's rows (harness.loss.table_cli): SFTTrainer's, then GRPOTrainer's.
LOSS_CONFIGURATIONS = SFT_LOSS_CONFIGURATIONS + GRPO_LOSS_CONFIGURATIONS

__all__ = [
    "GRPO_LOSS_CONFIGURATIONS",
    "LOSS_CONFIGURATIONS",
    "MASK_MODES",
    "SFT_LOSS_CONFIGURATIONS",
    "TRL_SFT_POLICY",
    "break_tool_mask",
    "calculator",
    "copy_tokenizer",
    "grpo_rollout_batch",
    "qwen2_5_chat_template",
    "release",
    "run_grpo",
    "run_sft",
    "scripted_grpo_episode",
    "sft_collated_batch",
    "sft_loss_fn",
    "sft_prompt_completion_labels",
    "sft_trainer_masker",
    "sft_training_step",
    "training_chat_template",
    "trl_template_name",
]
