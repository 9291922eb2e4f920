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
from harness.loss.configurations import LossConfiguration

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

# The check at the loss (harness.loss): LlamaFactory's packed SFT step (harness.adapters.llamafactory.loss) per
# `flash_attn` choice (hparams/model_args.py l. 117-120; model/model_utils/attention.py l. 65-82 maps disabled ->
# eager, sdpa -> sdpa, fa2 -> flash_attention_2). cutoff_len = the check's max_step_tokens, so a step fits one packed
# row; tool conversations are left to the masking conformance (its converter findings stop the check there).
_PACKING_STEP = "harness.adapters.llamafactory.loss:packing_step"
_PACKING_CHECK = {"max_step_tokens": 1024, "tools": False}
_EMPTY_SYSTEM = ("llamafactory-empty-system-prompt-means-none",)  # an empty system prompt renders the default one
_NEAT = (f"{_SOURCE}: src/llamafactory/hparams/data_args.py neat_packing l. 112-115 ('Enable sequence packing "
         "without cross-attention'); README.md l. 186 (contamination-free packed training, neat_packing: true); "
         "token mean: transformers' Trainer.compute_loss with num_items_in_batch "
         "(src/llamafactory/train/sft/trainer.py compute_loss l. 151-162)")
LOSS_CONFIGURATIONS = tuple(
    LossConfiguration(f"neat_packing (flash_attn={choice})", _PACKING_STEP, "token", documented=_NEAT,
                      options={"neat_packing": True, "attn_implementation": attention, "cutoff_len": 1024},
                      check=_PACKING_CHECK, known=_EMPTY_SYSTEM)
    for choice, attention in (("sdpa", "sdpa"), ("disabled", "eager"))) + (
    LossConfiguration("neat_packing (flash_attn=fa2)", _PACKING_STEP, "token", documented=_NEAT,
                      cannot="flash_attention_2 needs the flash_attn package and a CUDA device: LlamaFactory keeps "
                             "the default attention when it is missing (src/llamafactory/model/model_utils/"
                             "attention.py l. 77-82), and transformers 5.6.0's is_flash_attn_2_available "
                             "(utils/import_utils.py l. 947-954) is False without CUDA"),
    # packing without neat_packing: documented as packing with cross-attention (neat_packing is the one "without
    # cross-attention"), so every packed conversation attends to the ones before it (a convention, not a defect).
    LossConfiguration("packing (flash_attn=sdpa)", _PACKING_STEP, "token", documented=(
        f"{_SOURCE}: src/llamafactory/hparams/data_args.py packing l. 108-111 ('Enable sequences packing in "
        "training'), against neat_packing l. 112-115 ('without cross-attention'); data/processor/supervised.py "
        "l. 213-216 (attention mask 1 for every packed token) and data/collator.py l. 524-525 (no block-diagonal "
        "mask without block_diag_attn)"),
        options={"neat_packing": False, "attn_implementation": "sdpa", "cutoff_len": 1024}, check=_PACKING_CHECK,
        known=("llamafactory-packing-attends-across-conversations",) + _EMPTY_SYSTEM),
)

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "LOSS_CONFIGURATIONS", "TEMPLATES", "NotExpressible", "masker",
           "not_applicable", "policy_for", "sharegpt_messages", "template_for"]
