"""LlamaFactory's SFT data path as a masker for ``harness.check_masker``. No other harness module imports
llamafactory, and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs its ``OpenAIDatasetConverter`` (the ``openai`` formatting of
``dataset_info.json``), its own template (``template``: the one its README names for the model) and
``SupervisedDatasetProcessor``; ``mask_history`` and the other ``DataArguments`` pass through. Its ``policy`` is what
LlamaFactory documents, so only its defects fail::

    masking_check(harness.adapters.llamafactory.masker(tokenizer, template="qwen"), tokenizer)
"""

from __future__ import annotations

from harness.adapters.llamafactory.maskers import TEMPLATES, masker, not_applicable, policy_for, template_for
from harness.conformance.spec import TrainerEnvironment

ENVIRONMENT = TrainerEnvironment(
    trainer="llamafactory",
    release="0.9.5",
    # LlamaFactory pins transformers <=5.6.0 (which wants tokenizers <=0.23.0, huggingface-hub <2, kernels <0.13) and
    # checks datasets <=4.0.0, accelerate <=1.15, peft <=0.18.1 and trl <=0.24.0 at import; hparams import omegaconf.
    # torchaudio (imported by mm_plugin, audio only) has no release for the running torch: see
    # maskers._import_llamafactory.
    requirements=("llamafactory==0.9.5", "transformers==5.6.0", "tokenizers==0.22.2", "huggingface-hub==1.33.0",
                  "kernels==0.12.3", "datasets==4.0.0", "accelerate==1.11.0", "peft==0.18.1", "trl==0.24.0",
                  "omegaconf==2.4.0"),
)

__all__ = ["ENVIRONMENT", "TEMPLATES", "masker", "not_applicable", "policy_for", "template_for"]
