"""axolotl's chat-template SFT data path as a masker for ``harness.check_masker``. No other harness module imports
axolotl, and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs ``axolotl.prompt_strategies.chat_template.load(tokenizer, cfg,
ds_cfg).tokenize_prompt`` on ``{"messages": ..., "tools": ...}`` rows, with axolotl's defaults
(``roles_to_train=["assistant"]``, ``train_on_eos="turn"``, ``train_on_eot`` = ``train_on_eos``, the tokenizer's
own template) unless ``options``/``cfg`` say otherwise. Its ``policy`` spells what axolotl documents for those
options, so only its defects fail::

    masking_check(harness.adapters.axolotl.masker(tokenizer), tokenizer)
"""

from __future__ import annotations

from harness.adapters.axolotl.maskers import masker, not_applicable, policy_for
from harness.conformance.spec import TrainerEnvironment

ENVIRONMENT = TrainerEnvironment(
    trainer="axolotl",
    release="0.21.0",
    # axolotl pins transformers==5.20.1; its chat-template path imports only addict beyond the harness's own
    # environment, and colorama (axolotl.prompters, imported by prompt_strategies). The wheel declares Python >= 3.12; that data path runs on 3.11.
    requirements=("axolotl==0.21.0", "transformers==5.20.1", "addict==2.4.0",
                  "colorama==0.4.6"),
    python="3.12",
)

__all__ = ["ENVIRONMENT", "masker", "not_applicable", "policy_for"]
