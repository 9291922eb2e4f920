"""skyrl's SFT data path as a masker for ``harness.check_masker``. No other harness module imports skyrl, and this
package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs ``skyrl.train.sft_trainer.tokenize_chat_example`` with its defaults
(``train_on_what="last_assistant_message"``); ``train_on_what="all_assistant_messages"`` runs
``get_response_ids_and_loss_mask_from_messages`` (also the re-tokenization helper skyrl's agent-integration docs give
custom generators; its own ``SkyRLGymGenerator`` encodes observations differently). Its ``policy`` is what skyrl
documents for the option, so only its defects fail. ``CONFIGURATIONS``: the two ``train_on_what`` modes skyrl
documents, each a row of the conformance table::

    masking_check(harness.adapters.skyrl.masker(tokenizer, train_on_what="all_assistant_messages"), tokenizer)
"""

from __future__ import annotations

from harness.adapters.skyrl.maskers import TRAIN_ON_WHAT, masker, not_applicable, policy_for
from harness.conformance.spec import Configuration, TrainerEnvironment
from harness.loss.configurations import LossConfiguration

ENVIRONMENT = TrainerEnvironment(
    trainer="skyrl",
    release="0.4.0",
    # skyrl pins transformers >=5.6.1,<=5.16.1 (which wants huggingface-hub <2). sft_trainer imports torchdata,
    # cloudpathlib, jaxtyping, omegaconf, skyrl-gym and pybase64 at load (pure Python, or with a fallback), and ray,
    # which is left out: the wheel declares Python >= 3.12, so wheels are chosen for 3.12 and ray's compiled cp312
    # wheel cannot load on 3.11; the data path never calls ray (see _standins).
    requirements=("skyrl==0.4.0", "transformers==5.16.1", "huggingface-hub==1.33.0", "torchdata==0.11.0",
                  "cloudpathlib==0.26.0", "jaxtyping==0.3.11", "omegaconf==2.4.0", "skyrl-gym==0.4.0",
                  "pybase64==1.5.1",
                  "cloudpickle==3.1.3"),
    python="3.12",
)

# Where skyrl documents train_on_what: the release's own config (the wheel) and the SFT docs page (main, 2026-08-21;
# the 0.4.0 wheel ships no docs, and its TrainOnWhat/SFTConfig are the same as main's).
_CONFIG = "skyrl 0.4.0 skyrl/train/config/sft_config.py"
_DOCS = "docs/content/docs/sft/overview.mdx 'What to train on' (NovaSky-AI/SkyRL@a9564572)"

CONFIGURATIONS = (
    Configuration("defaults", {}, f"{_CONFIG}: SFTConfig.train_on_what = TrainOnWhat.LAST_ASSISTANT_MESSAGE (l. 281; "
                                  f"'Train only on the final assistant message', l. 37); {_DOCS}: "
                                  "'last_assistant_message (default) -- loss only on the final assistant reply'"),
    Configuration("train_on_what=all_assistant_messages", {"train_on_what": "all_assistant_messages"},
                  f"{_CONFIG}: TrainOnWhat.ALL_ASSISTANT_MESSAGES (l. 38, 'Train on every assistant message in the "
                  f"conversation'); {_DOCS}: 'all_assistant_messages -- loss on every assistant message in the "
                  "conversation'; examples/train/sft/README.md options table"),
)

# The check at the loss (harness.loss): SkyRL's PPO policy loss, harness/adapters/skyrl/loss.py. skyrl 0.4.0
# documents algorithm.loss_reduction in skyrl/train/config/config.py AlgorithmConfig l. 957-972 ("applied per
# mini-batch by rescaling advantages") and max_seq_len at l. 1017-1020; skyrl/backends/skyrl_train/utils/ppo_utils.py
# apply_loss_reduction_to_advantages_minibatch l. 1152-1220 implements each, reduce_loss l. 1145-1149 sums.
_LOSS = "harness.adapters.skyrl.loss:policy_loss_step"
_ALGO = "skyrl 0.4.0 skyrl/train/config/config.py AlgorithmConfig.loss_reduction l. 957-972"
_REDUCE = "skyrl/backends/skyrl_train/utils/ppo_utils.py apply_loss_reduction_to_advantages_minibatch"
LOSS_CONFIGURATIONS = (
    LossConfiguration("loss_reduction=token_mean", _LOSS, "token",
                      f"{_ALGO} ('average loss over all valid tokens in the batch', the default); {_REDUCE} "
                      "l. 1180-1182", {"loss_reduction": "token_mean"}),
    LossConfiguration("loss_reduction=sequence_mean", _LOSS, "sequence",
                      f"{_ALGO} ('per-sequence average token loss, then averaged over the batch'); {_REDUCE} "
                      "l. 1198-1200", {"loss_reduction": "sequence_mean"}),
    LossConfiguration("loss_reduction=seq_mean_token_sum_norm", _LOSS, "fixed_length",
                      f"{_ALGO} ('sum of token losses per sequence, normalized by max_seq_len, then averaged over "
                      f"the batch'; max_seq_len l. 1017-1020, 2048 here); {_REDUCE} l. 1202-1203",
                      {"loss_reduction": "seq_mean_token_sum_norm", "max_seq_len": 2048}, length=2048),
    LossConfiguration("loss_reduction=prompt_mean", _LOSS, "sequence",
                      f"{_ALGO} ('average token loss within each prompt group ..., then averaged over prompts'; each "
                      f"conversation its own prompt group here, so a mean per sequence); {_REDUCE} l. 1209-1216",
                      {"loss_reduction": "prompt_mean"}),
    LossConfiguration("loss_reduction=token_mean_legacy", _LOSS, "micro_batch_token",
                      f"{_ALGO} ('retaining the previous token_mean behavior'); {_REDUCE} l. 1184-1196: each "
                      "micro-batch's token mean, averaged over the micro-batches (4 conversations: 2 micro-batches "
                      "of 2; the function leaves rows beyond a whole number of micro-batches at advantage 0)",
                      {"loss_reduction": "token_mean_legacy"}, check={"conversations_per_step": [4, 4]}),
    LossConfiguration("policy_loss_type=gspo", _LOSS, "sequence",
                      "skyrl 0.4.0 skyrl/train/config/config.py policy_loss_type l. 934-941 and ppo_utils.py "
                      "gspo_policy_loss l. 684-694 (sequence_mean, the reduction it recommends)",
                      {"policy_loss_type": "gspo", "loss_reduction": "sequence_mean"}),
)

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "LOSS_CONFIGURATIONS", "TRAIN_ON_WHAT", "masker", "not_applicable",
           "policy_for"]
