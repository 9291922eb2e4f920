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

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "TRAIN_ON_WHAT", "masker", "not_applicable", "policy_for"]
