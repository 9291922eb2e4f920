"""``masker``: axolotl's ``chat_template`` prompt strategy (``type: chat_template`` datasets) as a harness masker.

axolotl's documented conventions (docs/dataset-formats/conversation.qmd, ``StrategyLoader._get_strategy_params``):
``roles_to_train`` (default ``["assistant"]``) trains every turn of those roles, the span its diff against a
placeholder turn finds (content and tool calls, not the header); ``train_on_eos`` (default ``"turn"``) trains the
EOS token after each trained turn, ``"last"`` only the final one, ``"all"`` every one, ``"none"`` none;
``train_on_eot`` (default: ``train_on_eos``) the same for ``eot_tokens`` (a top-level key, default: the EOS token).
With ``roles_to_train`` and ``train_on_eos`` both empty (conversation.qmd "Training on last message", legacy) it
trains everything the full rendering adds after the generation prompt of the messages before the last.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.masking.policy import Policy

TRAINER = "axolotl==0.21.0"
# Keys of a ``datasets:`` entry (``ds_cfg``) and top-level config keys (``cfg``) the masker passes through.
_DATASET_OPTIONS = ("roles_to_train", "train_on_eos", "train_on_eot", "chat_template", "chat_template_jinja",
                    "message_property_mappings", "split_thinking", "drop_system_message", "field_thinking",
                    "template_thinking_key")
_CONFIG_OPTIONS = ("eot_tokens", "chat_template_kwargs")
# Not an axolotl key: writes each tool call's ``arguments`` and each tool's ``parameters`` as JSON strings, the data
# format conversation.qmd ("Using tool use") recommends; axolotl parses them back (``transform_message``/``_get_tools``).
_DATA_OPTIONS = ("tool_arguments_as_json",)
OPTIONS = _DATASET_OPTIONS + _CONFIG_OPTIONS + _DATA_OPTIONS


def _is_last_message_mode(options: Mapping[str, Any]) -> bool:
    """conversation.qmd "Training on last message" (legacy): ``roles_to_train`` and ``train_on_eos`` left empty, which
    ``_tokenize_single_prompt`` (l. 474-509) takes as "train what follows the last generation prompt"."""
    return ("roles_to_train" in options and not options["roles_to_train"]
            and "train_on_eos" in options and not options["train_on_eos"] and not options.get("train_on_eot"))


def policy_for(options: Mapping[str, Any]) -> Policy:
    """The harness ``Policy`` that spells axolotl's documented behaviour for these options.

    ``train_on_eos: turn`` trains the EOS after each trained turn (conversation.qmd, the ``train_on_eos`` schema
    description): where a template writes the EOS only after the last message (Phi-3.5's ``<|endoftext|>``) that EOS
    is trained, so the conversation's end text is accepted either way. The last-message mode trains everything after
    the final generation prompt, the template's glue after the stop token and its conversation end included.

    Raises ValueError for options whose documented behaviour the contract cannot express (training user/tool
    turns, or the stop token of only some turns): those choices train tokens the model did not generate on purpose.
    """
    if _is_last_message_mode(options):
        return Policy(turns="last", train_glue_after_stop=None, train_conversation_end=None)
    roles = list(options.get("roles_to_train", ["assistant"]) or [])
    eos = options.get("train_on_eos", "turn")
    eot = options.get("train_on_eot") or eos
    if roles != ["assistant"]:
        raise ValueError(f"roles_to_train={roles!r}: the contract judges assistant-only training; "
                         "use roles_to_train=['assistant'] (axolotl's default)")
    if eos not in ("turn", "all") or eot not in ("turn", "all"):
        raise ValueError(f"train_on_eos={eos!r}/train_on_eot={eot!r}: the contract expects each assistant turn's "
                         "stop token trained ('turn', axolotl's default)")
    return Policy(turns="all", train_conversation_end=None)


def not_applicable(tokenizer) -> str | None:
    """Why axolotl cannot run this tokenizer's template, or None."""
    if not getattr(tokenizer, "chat_template", None):
        return "the tokenizer has no chat_template (axolotl's tokenizer_default needs one)"
    if isinstance(tokenizer.chat_template, dict):
        return "the chat_template is a dict of named templates; axolotl's tokenizer_default takes one string"
    return None


def _with_json_strings(messages: list[dict], tools: list[dict] | None) -> tuple[list[dict], list[dict] | None]:
    """The row as conversation.qmd recommends storing tool data: arguments and parameters as JSON strings."""
    def call(tool_call: dict) -> dict:
        function = tool_call.get("function")
        if not isinstance(function, dict) or isinstance(function.get("arguments"), str) or "arguments" not in function:
            return tool_call
        return {**tool_call, "function": {**function, "arguments": json.dumps(function["arguments"])}}

    def tool(spec: dict) -> dict:
        function = spec.get("function")
        if not isinstance(function, dict) or "parameters" not in function or isinstance(function["parameters"], str):
            return spec
        return {**spec, "function": {**function, "parameters": json.dumps(function["parameters"])}}

    messages = [{**m, "tool_calls": [call(c) for c in m["tool_calls"]]} if m.get("tool_calls") else m
                for m in messages]
    return messages, [tool(t) for t in tools] if tools else tools


def masker(tokenizer, cfg: Mapping[str, Any] | None = None, **options: Any) -> Callable:
    """masker(messages, tools) -> {"input_ids", "labels"} through ``chat_template.load(...).tokenize_prompt``.

    ``cfg``: axolotl's top-level config keys (``sequence_len`` default 1 << 20 so nothing is truncated,
    ``train_on_inputs`` False, ...); ``options``: a dataset entry's keys (``roles_to_train``, ``train_on_eos``,
    ``train_on_eot``, ``chat_template``, ``field_thinking`` ...), the top-level ``eot_tokens`` and
    ``chat_template_kwargs``, and ``tool_arguments_as_json`` (the row's tool data as JSON strings).
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError(f"unknown axolotl option(s) {unknown}; known: {list(OPTIONS)}")
    policy = policy_for(options)
    from axolotl.prompt_strategies import chat_template
    from axolotl.utils.dict import DictDefault

    dataset = {key: value for key, value in options.items() if key in _DATASET_OPTIONS}
    top = {key: value for key, value in options.items() if key in _CONFIG_OPTIONS}
    config = DictDefault({"sequence_len": 1 << 20, "train_on_inputs": False, **top, **(cfg or {})})
    strategy = chat_template.load(tokenizer, config, {"type": "chat_template", **dataset})
    as_json = bool(options.get("tool_arguments_as_json"))

    def run(messages: list[dict], tools: list[dict] | None) -> dict:
        if as_json:
            messages, tools = _with_json_strings(messages, tools)
        row: dict[str, Any] = {"messages": messages}
        if tools:
            row["tools"] = tools
        out = strategy.tokenize_prompt(row)
        return {"input_ids": list(out["input_ids"]), "labels": list(out["labels"])}

    run.policy = policy
    run.trainer = TRAINER
    return run
