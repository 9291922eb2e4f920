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

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "POLICY", "masker", "not_applicable", "policy_for"]
