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
from harness.conformance.spec import Configuration, TrainerEnvironment

ENVIRONMENT = TrainerEnvironment(
    trainer="unsloth_zoo",
    release="2026.10.9",
    # unsloth_zoo pins transformers <=5.17.0 (which wants huggingface-hub <2) and trl <=1.15.0; it imports peft at
    # load. Its import touches the GPU unless told it is loaded for unsloth with GPU initialisation off.
    requirements=("unsloth_zoo==2026.10.9", "transformers==5.17.0", "huggingface-hub==1.33.0", "trl==1.15.0",
                  "peft==0.18.1"),
    env={"UNSLOTH_IS_PRESENT": "1", "UNSLOTH_ZOO_DISABLE_GPU_INIT": "1"},
)

# Where unsloth documents each configuration. The notebooks (unslothai/notebooks) passed explicit markers per template
# family until be4065a8 (2026-07-11); since #301 they call ``train_on_responses_only(trainer)`` and say "You can still
# pass them explicitly if you use a custom chat template".
_ZOO = "unsloth_zoo 2026.10.9 unsloth_zoo/dataset_utils.py train_on_responses_only"
_NOTEBOOKS = "unslothai/notebooks@be4065a80b8564843850a899fcfbdab9ef9c3433"

CONFIGURATIONS = (
    Configuration("defaults", {}, f"{_ZOO} (l. 763-772: markers auto-detected by get_chat_template_parts, "
                                  "force_match=True); the notebooks since unslothai/notebooks#301 call "
                                  "train_on_responses_only(trainer)"),
    Configuration("force_match=False", {"force_match": False},
                  f"{_ZOO} parameter force_match (l. 767 'Match newlines as well!'; unsloth_zoo/mlx/trainer.py "
                  "docstring 'force_match: Match newlines too'); suggested for merged newlines in "
                  "https://github.com/unslothai/unsloth/issues/6919"),
    Configuration("notebook markers: chatml",
                  {"instruction_part": "<|im_start|>user\n", "response_part": "<|im_start|>assistant\n"},
                  f"{_NOTEBOOKS} nb/Qwen2.5_Coder_(14B)-Conversational.ipynb (train_on_responses_only cell)",
                  templates=("qwen2.5-instruct",)),
    Configuration("notebook markers: llama-3",
                  {"instruction_part": "<|start_header_id|>user<|end_header_id|>\n\n",
                   "response_part": "<|start_header_id|>assistant<|end_header_id|>\n\n"},
                  f"{_NOTEBOOKS} nb/Llama3.2_(1B_and_3B)-Conversational.ipynb (train_on_responses_only cell)",
                  templates=("llama-3.1-instruct", "llama-3.2-instruct")),
    Configuration("notebook markers: gemma",
                  {"instruction_part": "<start_of_turn>user\n", "response_part": "<start_of_turn>model\n"},
                  f"{_NOTEBOOKS} nb/Gemma3_(4B).ipynb (train_on_responses_only cell)",
                  templates=("gemma-3-it",)),
    Configuration("notebook markers: gpt-oss",
                  {"instruction_part": "<|start|>user<|message|>",
                   "response_part": "<|start|>assistant<|channel|>final<|message|>"},
                  f"{_NOTEBOOKS} nb/gpt-oss-(20B)-Fine-tuning.ipynb (gpt_oss_kwargs)",
                  templates=("gpt-oss-20b",)),
)

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "OPTIONS", "masker", "not_applicable", "policy_for"]
