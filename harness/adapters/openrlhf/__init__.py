"""OpenRLHF's multi-turn SFT data path as a masker for ``harness.check_masker``. No other harness module imports
openrlhf, and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs ``openrlhf.datasets.SFTDataset(..., multiturn=True)`` (what
``openrlhf.cli.train_sft --data.multiturn --data.apply_chat_template`` builds) on one conversation and reads back
``__getitem__``'s ``input_ids`` and ``loss_mask``; its ``policy`` spells OpenRLHF's conventions, so only its
defects fail::

    masking_check(harness.adapters.openrlhf.masker(tokenizer), tokenizer)

``CONFIGURATIONS``: the rows of the conformance table, each an SFT set-up OpenRLHF's README documents; the
findings OpenRLHF's cells show are in ``findings.toml`` beside this file.
"""

from __future__ import annotations

from harness.adapters.openrlhf.maskers import masker, not_applicable, policy_for
from harness.conformance.spec import Configuration, TrainerEnvironment
from harness.loss.configurations import LossConfiguration

_README = "the openrlhf 0.11.2 README (PyPI long description), 'Prepare Datasets' and 'Supervised Fine-tuning'"
CONFIGURATIONS = (
    # --data.apply_chat_template --data.multiturn --data.input_key messages: "Multi-turn fine-tuning loss"
    Configuration("defaults", {}, documented=f"{_README}: --data.apply_chat_template, --data.multiturn"),
    # --data.apply_chat_template alone, the whole conversation under --data.input_key: the last answer is the loss
    Configuration("multiturn=False", {"multiturn": False},
                  documented=f"{_README}: --data.apply_chat_template without --data.multiturn "
                             "(sft_dataset.py preprocess_data: the last assistant message is the response)"),
)

ENVIRONMENT = TrainerEnvironment(
    trainer="openrlhf",
    release="0.11.2",
    # openrlhf pins transformers==5.15.0, which refuses tokenizers > 0.23.0 and huggingface-hub >= 2 at import;
    # the data path imports pylatexenc (openrlhf.utils) beyond the harness's environment. The wheel is tagged
    # cp312 but is pure Python; it runs on 3.11.
    requirements=("openrlhf==0.11.2", "transformers==5.15.0", "tokenizers==0.22.2", "huggingface-hub==1.33.0",
                  "pylatexenc==2.11"),
    python="3.12",
)

# The check at the loss (harness.loss): OpenRLHF's PPO actor loss, harness/adapters/openrlhf/loss.py. openrlhf 0.11.2
# documents --actor.loss_agg_mode in openrlhf/cli/train_ppo_ray.py l. 440-447 ("token-mean (global token mean) or
# seq-mean-token-mean (every sequence weighs the same)", also in the README's option list) and --actor.policy_loss_type
# (ppo | gspo) at l. 439; models/loss.py aggregate_loss l. 11-38 implements both over the optimizer step
# (utils/loss_utils.py _optimizer_step_loss_norm l. 54-77), PolicyLoss l. 150-152 forces the per-sample mean for gspo.
_LOSS = "harness.adapters.openrlhf.loss:policy_loss_step"
_CLI = "openrlhf 0.11.2 openrlhf/cli/train_ppo_ray.py"
LOSS_CONFIGURATIONS = (
    LossConfiguration("loss_agg_mode=token-mean", _LOSS, "token", f"{_CLI} l. 440-447 (the default) and "
                      "openrlhf/models/loss.py aggregate_loss l. 29-32", {"loss_agg_mode": "token-mean"}),
    LossConfiguration("loss_agg_mode=seq-mean-token-mean", _LOSS, "sequence", f"{_CLI} l. 440-447 and "
                      "openrlhf/models/loss.py aggregate_loss l. 34-38", {"loss_agg_mode": "seq-mean-token-mean"}),
    LossConfiguration("policy_loss_type=gspo", _LOSS, "sequence", f"{_CLI} l. 439 and openrlhf/models/loss.py "
                      "PolicyLoss l. 150-152 ('GSPO requires sequence-level loss (per-sample mean)')",
                      {"policy_loss_type": "gspo"}),
)

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "LOSS_CONFIGURATIONS", "masker", "not_applicable", "policy_for"]
