"""unsloth's response-only masking as a masker for ``harness.check_masker``. No other harness module imports
unsloth_zoo, and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` labels the tokenized rendering with
``unsloth_zoo.dataset_utils.train_on_responses_only(..., return_function=True)``; the instruction/response markers
(default: detected from the template) and its other options pass through. Its ``policy`` is what unsloth documents,
so only its defects fail::

    masking_check(harness.adapters.unsloth.masker(tokenizer, instruction_part="<|im_start|>user\\n",
                                                  response_part="<|im_start|>assistant\\n"), tokenizer)
"""

from __future__ import annotations

from harness.adapters.unsloth.maskers import OPTIONS, masker, not_applicable, policy_for
from harness.conformance.spec import TrainerEnvironment

ENVIRONMENT = TrainerEnvironment(
    trainer="unsloth_zoo",
    release="2026.10.9",
    # unsloth_zoo pins transformers <=5.17.0 (which wants huggingface-hub <2) and trl <=1.15.0; it imports peft at
    # load. Its import touches the GPU unless told it is loaded for unsloth with GPU initialisation off.
    requirements=("unsloth_zoo==2026.10.9", "transformers==5.17.0", "huggingface-hub==1.33.0", "trl==1.15.0",
                  "peft==0.18.1"),
    env={"UNSLOTH_IS_PRESENT": "1", "UNSLOTH_ZOO_DISABLE_GPU_INIT": "1"},
)

__all__ = ["ENVIRONMENT", "OPTIONS", "masker", "not_applicable", "policy_for"]
