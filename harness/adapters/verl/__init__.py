"""verl's multi-turn SFT data path as a masker for ``harness.check_masker``. No other harness module imports verl,
and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs ``verl.utils.dataset.multiturn_sft_dataset.MultiTurnSFTDataset
.__getitem__`` on ``{"messages", "tools"}`` rows with verl's defaults; ``cfg``/``options`` are the dataset's config
keys. Its ``policy`` is what verl documents, so only its defects fail::

    masking_check(harness.adapters.verl.masker(tokenizer), tokenizer)
"""

from __future__ import annotations

from harness.adapters.verl.maskers import POLICY, masker, not_applicable, policy_for
from harness.conformance.spec import Configuration, TrainerEnvironment
from harness.loss.configurations import LossConfiguration

ENVIRONMENT = TrainerEnvironment(
    trainer="verl",
    release="0.9.1",
    # verl pins transformers >=5.5.3,<5.11 (!=5.6.0); 5.10.4 wants tokenizers <=0.23.0, huggingface-hub <2 and
    # kernels <0.13 (the running environment's newer releases break its import). The dataset module imports ray,
    # tensordict (which imports pyvers) and omegaconf at load.
    requirements=("verl==0.9.1", "transformers==5.10.4", "tokenizers==0.22.2", "huggingface-hub==1.33.0",
                  "kernels==0.12.3", "ray==2.60.0", "tensordict==0.10.0", "pyvers==0.2.3", "omegaconf==2.4.0",
                  "cloudpickle==3.1.3"),
)

# verl's SFT trainer documents its dataset options in verl/trainer/config/sft_trainer_engine.yaml (verl 0.9.1, the
# ``data:`` block); MultiTurnSFTDataset.__init__ reads them (multiturn_sft_dataset.py l. 93-117).
_CONFIG = "verl 0.9.1 verl/trainer/config/sft_trainer_engine.yaml"

CONFIGURATIONS = (
    Configuration("defaults", {}, f"{_CONFIG} data: block (pad_mode no_padding, truncation error, "
                                  "ignore_input_ids_mismatch False, apply_chat_template_kwargs {}); the masker only "
                                  "raises max_length so that no row is truncated"),
    Configuration("ignore_input_ids_mismatch=True", {"ignore_input_ids_mismatch": True},
                  f"{_CONFIG} l. 42-47 ('Set to True to ignore input_ids mismatch and use the concatenated input_ids "
                  "as the final input_ids') and the AssertionError of MultiTurnSFTDataset.sanity_check, which "
                  "advises it"),
)

# The check at the loss (harness.loss): verl's PPO actor loss, harness/adapters/verl/loss.py. verl 0.9.1 documents
# loss_agg_mode in verl/trainer/config/actor/actor.yaml l. 85-86 (and l. 88-90 loss_scale_factor: "If null, uses
# response_length"); core_algos.agg_loss l. 1140-1206 implements each mode over the global mini-batch
# (global_batch_info, set by workers/utils/losses.py ppo_loss l. 64-67).
_LOSS = "harness.adapters.verl.loss:policy_loss_step"
_ACTOR = "verl 0.9.1 verl/trainer/config/actor/actor.yaml l. 85-86 and verl/trainer/ppo/core_algos.py agg_loss"
LOSS_CONFIGURATIONS = (
    LossConfiguration("loss_agg_mode=token-mean", _LOSS, "token", f"{_ACTOR} l. 1170-1175 (the default)",
                      {"loss_agg_mode": "token-mean"}),
    LossConfiguration("loss_agg_mode=seq-mean-token-mean", _LOSS, "sequence", f"{_ACTOR} l. 1194-1202",
                      {"loss_agg_mode": "seq-mean-token-mean"}),
    LossConfiguration("loss_agg_mode=seq-mean-token-sum", _LOSS, "sequence_sum", f"{_ACTOR} l. 1181-1188",
                      {"loss_agg_mode": "seq-mean-token-sum"}),
    LossConfiguration("loss_agg_mode=seq-mean-token-sum-norm", _LOSS, "fixed_length",
                      f"{_ACTOR} l. 1181-1193; actor.yaml l. 88-90 (loss_scale_factor null: the response_length, "
                      "the rollout's padded response width, rollout.yaml l. 38-39; 2048 here)",
                      {"loss_agg_mode": "seq-mean-token-sum-norm"}, length=2048),
    LossConfiguration("loss_agg_mode=token-sum", _LOSS, "sum", f"{_ACTOR} l. 1176-1180 (each token weight 1)",
                      {"loss_agg_mode": "token-sum"}),
    LossConfiguration("loss_mode=gspo", _LOSS, "sequence",
                      "verl 0.9.1 verl/trainer/ppo/core_algos.py compute_policy_loss_gspo l. 1545-1606 (its "
                      "documented loss_agg_mode seq-mean-token-mean, l. 1551)",
                      {"loss_mode": "gspo", "loss_agg_mode": "seq-mean-token-mean"}),
    LossConfiguration("loss_mode=sapo (loss_agg_mode=token-mean)", _LOSS, "token",
                      "verl 0.9.1 verl/trainer/ppo/core_algos.py compute_policy_loss_sapo l. 1622-1689: takes "
                      "loss_agg_mode (docstring l. 1646-1647: 'Aggregation mode for agg_loss. For SAPO, it is "
                      "recommended to use seq-mean-token-mean'); actor.yaml l. 86 default token-mean",
                      {"loss_mode": "sapo", "loss_agg_mode": "token-mean"},
                      known=("verl-sapo-policy-loss-ignores-loss-agg-mode",)),
)

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "LOSS_CONFIGURATIONS", "POLICY", "masker", "not_applicable", "policy_for"]
