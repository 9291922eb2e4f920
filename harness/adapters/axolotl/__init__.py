"""axolotl's chat-template SFT data path as a masker for ``harness.check_masker``. No other harness module imports
axolotl, and this package imports it only inside ``masker`` (in the environment ``ENVIRONMENT`` describes).

``masker(tokenizer, cfg=None, **options)`` runs ``axolotl.prompt_strategies.chat_template.load(tokenizer, cfg,
ds_cfg).tokenize_prompt`` on ``{"messages": ..., "tools": ...}`` rows, with axolotl's defaults
(``roles_to_train=["assistant"]``, ``train_on_eos="turn"``, ``train_on_eot`` = ``train_on_eos``, ``eot_tokens`` =
the EOS, the tokenizer's own template) unless ``options``/``cfg`` say otherwise. Its ``policy`` spells what axolotl
documents for those options, so only its defects fail. ``CONFIGURATIONS``: the defaults and the configurations
axolotl's docs and examples recommend (each citing where)::

    masking_check(harness.adapters.axolotl.masker(tokenizer), tokenizer)
"""

from __future__ import annotations

from harness.adapters.axolotl.maskers import OPTIONS, masker, not_applicable, policy_for
from harness.conformance.spec import Configuration, TrainerEnvironment
from harness.loss.configurations import LossConfiguration

ENVIRONMENT = TrainerEnvironment(
    trainer="axolotl",
    release="0.21.0",
    # axolotl pins transformers==5.20.1; its chat-template path imports only addict beyond the harness's own
    # environment, and colorama (axolotl.prompters, imported by prompt_strategies). The wheel declares Python >= 3.12; that data path runs on 3.11.
    requirements=("axolotl==0.21.0", "transformers==5.20.1", "addict==2.4.0",
                  "colorama==0.4.6"),
    python="3.12",
)

# Where axolotl documents each configuration: files of the axolotl 0.21.0 sdist (docs/, examples/).
_CONVERSATION = "docs/dataset-formats/conversation.qmd"

CONFIGURATIONS = (
    Configuration("defaults", {}, f"{_CONVERSATION} (type: chat_template with the tokenizer's template); defaults "
                                  "roles_to_train ['assistant'], train_on_eos 'turn', eot_tokens [eos_token]: "
                                  "src/axolotl/prompt_strategies/chat_template.py StrategyLoader._get_strategy_params "
                                  "(l. 1348-1357) and ChatTemplateStrategy.__init__ (l. 339-347)"),
    Configuration("eot_tokens=<|end|> (phi-3.5)", {"eot_tokens": ["<|end|>"]},
                  "examples/phi/lora-3.5.yaml (eot_tokens: ['<|end|>']; it also sets chat_template: phi_3, axolotl's "
                  "own template, which differs from the tokenizer's (a leading <s>, no closing <|endoftext|>): the row "
                  "keeps the tokenizer's template the contract judges); "
                  f"{_CONVERSATION} 'Using template with different token for EOT and EOS'; docs/faq.qmd (phi_35 does "
                  "not use its EOS <|endoftext|> at the end of turns)",
                  templates=("phi-3.5-mini-instruct",)),
    Configuration("eot_tokens=<end_of_turn> (gemma)", {"eot_tokens": ["<end_of_turn>"]},
                  "examples/gemma2/qlora.yml, examples/gemma3/gemma-3-1b-qlora.yml (eot_tokens: [<end_of_turn>]; "
                  "added to every Gemma example by axolotl-ai-cloud/axolotl#3756 for #3754; the examples also set "
                  "chat_template: gemma / gemma3, axolotl's copies; the row keeps the tokenizer's template)",
                  templates=("gemma-2-it", "gemma-3-it")),
    Configuration("eot_tokens=<|end|> (gpt-oss)",
                  {"eot_tokens": ["<|end|>"], "field_thinking": "thinking", "template_thinking_key": "thinking"},
                  "examples/gpt-oss/gpt-oss-20b-sft-lora-singlegpu.yaml (eot_tokens: ['<|end|>'], field_thinking "
                  "and template_thinking_key: thinking); examples/gpt-oss/README.md 'Tool use'",
                  templates=("gpt-oss-20b",)),
    Configuration("last message (legacy)", {"roles_to_train": None, "train_on_eos": None},
                  f"{_CONVERSATION} 'Training on last message' (roles_to_train: and train_on_eos: left empty)"),
    Configuration("tool data as JSON strings", {"tool_arguments_as_json": True},
                  f"{_CONVERSATION} 'Using tool use' (save arguments: and parameters: as JSON strings); "
                  "src/axolotl/utils/dict.py remove_none_values (l. 41-51, axolotl-ai-cloud/axolotl#2909) drops "
                  "nulls from dict-valued ones"),
)

# The check at the loss (harness.loss): axolotl's sample_packing step (harness.adapters.axolotl.loss) per attention
# backend. sequence_len = the check's max_step_tokens, so a step's conversations fit one bin (one micro-batch).
_PACKING_STEP = "harness.adapters.axolotl.loss:sample_packing_step"
_PACKING_DOCS = ("docs/multipack.qmd l. 67-74 ('Multipack without Flash Attention': SDPA or native attention pack "
                 "sequences and avoid cross attention) and l. 177 (the trainer's token-weighted loss normalization); "
                 "src/axolotl/utils/schemas/config.py attn_decontaminates_packing l. 1593-1599")
_EMPTY_TURN = ("axolotl-empty-assistant-turn-end-token-untrained",)  # a conversation with no trained token is dropped
LOSS_CONFIGURATIONS = tuple(
    LossConfiguration(f"sample_packing ({attention})", _PACKING_STEP, "token", documented=f"{_PACKING_DOCS}; {where}",
                      options={"attn_implementation": attention, "sequence_len": 1024},
                      check={"max_step_tokens": 1024}, known=_EMPTY_TURN)
    for attention, where in (
        ("sdpa", "docs/attention.qmd l. 21 and l. 55-57 (the default; its 'No packing support' is the varlen kind)"),
        ("eager", "docs/attention.qmd l. 20 ('No packing support': the varlen kind)"),
        ("flex_attention", "docs/attention.qmd l. 26; enums.py ATTN_IMPLS_SUPPORTING_PACKING l. 145-153")))
LOSS_CONFIGURATIONS += (
    LossConfiguration("sample_packing (flash_attention_2)", _PACKING_STEP, "token",
                      documented=f"docs/multipack.qmd l. 6-10 (multipack with Flash Attention); {_PACKING_DOCS}",
                      cannot="flash_attention_2 needs the flash_attn package and a CUDA device: transformers 5.20.1 "
                             "utils/import_utils.py is_flash_attn_2_available l. 1225-1237 is False without CUDA "
                             "(axolotl's docs/attention.qmd l. 22; flash_attention_torch, l. 25, is CUDA only too)"),
)

__all__ = ["CONFIGURATIONS", "ENVIRONMENT", "LOSS_CONFIGURATIONS", "OPTIONS", "masker", "not_applicable",
           "policy_for"]
