"""LlamaFactory's SFT data path as a masker for ``harness.check_masker``. No other harness module imports
llamafactory, and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs its ``OpenAIDatasetConverter`` (the ``openai`` formatting of
``dataset_info.json``; ``formatting="sharegpt"``: the formatting data/README documents for OpenAI-style data), its
own template (``template``: the one its README names for the model) and ``SupervisedDatasetProcessor``;
``mask_history`` and the other ``DataArguments`` pass through. Its ``policy`` is what LlamaFactory documents, so only
its defects fail::

    masking_check(harness.adapters.llamafactory.masker(tokenizer, template="qwen"), tokenizer)

``CONFIGURATIONS``: the rows of the conformance table, each a set-up LlamaFactory documents (every row uses the
template its README's "Supported Models" table names for the model); the findings are in ``findings.toml``.
"""

from __future__ import annotations

from harness.adapters.llamafactory.maskers import (
    TEMPLATES,
    NotExpressible,
    masker,
    not_applicable,
    policy_for,
    sharegpt_messages,
    template_for,
)
from harness.conformance.spec import Configuration, TrainerEnvironment

_SOURCE = "llamafactory 0.9.5 sdist"
CONFIGURATIONS = (
    Configuration("defaults", {}, documented=(
        f"{_SOURCE}: src/llamafactory/data/parser.py DatasetAttr.formatting 'openai' (OpenAIDatasetConverter, "
        "selectable since hiyouga/LlamaFactory#9449; data/README.md does not list it); README.md 'Supported "
        "Models' for the template")),
    Configuration("formatting=sharegpt", {"formatting": "sharegpt"}, documented=(
        f"{_SOURCE}: data/README.md 'OpenAI Format' (formatting sharegpt with role/content tags) and 'Sharegpt "
        "Format' (function_call and observation turns, tools column)")),
    Configuration("mask_history", {"mask_history": True}, documented=(
        f"{_SOURCE}: src/llamafactory/hparams/data_args.py mask_history 'Whether or not to mask the history and "
        "train on the last turn only'")),
)

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

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "TEMPLATES", "NotExpressible", "masker", "not_applicable", "policy_for",
           "sharegpt_messages", "template_for"]
