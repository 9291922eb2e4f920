"""``masker``: axolotl's ``chat_template`` prompt strategy (``type: chat_template`` datasets) as a harness masker.

axolotl's documented conventions (docs/dataset-formats/conversation.qmd, ``StrategyLoader._get_strategy_params``):
``roles_to_train`` (default ``["assistant"]``) trains every turn of those roles, the span its diff against a
placeholder turn finds (content and tool calls, not the header); ``train_on_eos`` (default ``"turn"``) trains the
EOS token after each trained turn, ``"last"`` only the final one, ``"all"`` every one, ``"none"`` none;
``train_on_eot`` (default: ``train_on_eos``) the same for ``eot_tokens`` (default: the EOS token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.masking.policy import Policy

TRAINER = "axolotl==0.21.0"
_DATASET_OPTIONS = ("roles_to_train", "train_on_eos", "train_on_eot", "chat_template", "chat_template_jinja",
                    "message_property_mappings", "split_thinking", "drop_system_message")


def policy_for(options: Mapping[str, Any]) -> Policy:
    """The harness ``Policy`` that spells axolotl's documented behaviour for these dataset options.

    Raises ValueError for options whose documented behaviour the contract cannot express (training user/tool
    turns, or the stop token of only some turns): those choices train tokens the model did not generate on purpose.
    """
    roles = list(options.get("roles_to_train", ["assistant"]) or [])
    eos = options.get("train_on_eos", "turn")
    eot = options.get("train_on_eot") or eos
    if roles != ["assistant"]:
        raise ValueError(f"roles_to_train={roles!r}: the contract judges assistant-only training; "
                         "use roles_to_train=['assistant'] (axolotl's default)")
    if eos not in ("turn", "all") or eot not in ("turn", "all"):
        raise ValueError(f"train_on_eos={eos!r}/train_on_eot={eot!r}: the contract expects each assistant turn's "
                         "stop token trained ('turn', axolotl's default)")
    return Policy(turns="all")


def not_applicable(tokenizer) -> str | None:
    """Why axolotl cannot run this tokenizer's template, or None."""
    if not getattr(tokenizer, "chat_template", None):
        return "the tokenizer has no chat_template (axolotl's tokenizer_default needs one)"
    if isinstance(tokenizer.chat_template, dict):
        return "the chat_template is a dict of named templates; axolotl's tokenizer_default takes one string"
    return None


def masker(tokenizer, cfg: Mapping[str, Any] | None = None, **options: Any) -> Callable:
    """masker(messages, tools) -> {"input_ids", "labels"} through ``chat_template.load(...).tokenize_prompt``.

    ``cfg``: axolotl's top-level config keys (``sequence_len`` default 1 << 20 so nothing is truncated,
    ``train_on_inputs`` False, ``eot_tokens``, ``chat_template_kwargs`` ...); ``options``: the dataset entry's keys
    (``roles_to_train``, ``train_on_eos``, ``train_on_eot``, ``chat_template`` ...).
    """
    unknown = sorted(set(options) - set(_DATASET_OPTIONS))
    if unknown:
        raise TypeError(f"unknown axolotl dataset option(s) {unknown}; known: {list(_DATASET_OPTIONS)}")
    from axolotl.prompt_strategies import chat_template
    from axolotl.utils.dict import DictDefault

    config = DictDefault({"sequence_len": 1 << 20, "train_on_inputs": False, **(cfg or {})})
    strategy = chat_template.load(tokenizer, config, {"type": "chat_template", **options})

    def run(messages: list[dict], tools: list[dict] | None) -> dict:
        row: dict[str, Any] = {"messages": messages}
        if tools:
            row["tools"] = tools
        out = strategy.tokenize_prompt(row)
        return {"input_ids": list(out["input_ids"]), "labels": list(out["labels"])}

    run.policy = policy_for(options)
    run.trainer = TRAINER
    return run
