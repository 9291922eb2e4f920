"""LlamaFactory's SFT data path as a masker: ``OpenAIDatasetConverter`` → its template →
``SupervisedDatasetProcessor``. llamafactory is imported only here."""

from __future__ import annotations

import copy
import json
from typing import Any

from harness.masking.policy import Policy

RELEASE = "0.9.5"

# The ``template:`` LlamaFactory's README ("Supported Models") names for each tokenizer the harness ships; any other
# tokenizer (SmolLM3: none in 0.9.5) gets ``template=None``, LlamaFactory's own fallback (it parses the tokenizer's
# chat template).
TEMPLATES = {
    "qwen2.5-instruct": "qwen",
    "qwen3": "qwen3",
    "deepseek-r1-distill-qwen-1.5b": "deepseekr1",
    "llama-3.1-instruct": "llama3",
    "llama-3.2-instruct": "llama3",
    "gemma-2-it": "gemma2",
    "gemma-3-it": "gemma3",
    "phi-3.5-mini-instruct": "phi",
    "gpt-oss-20b": "gpt_oss",
    "aya-expanse": "cohere",
}

# The dataset_info.json entry for OpenAI-format ``messages`` with ``tools``: ``formatting`` "openai" (the
# OpenAIDatasetConverter, selectable since hiyouga/LlamaFactory#9449, not in data/README) or "sharegpt" (what
# data/README's "OpenAI Format" section documents, with the "Sharegpt Format" roles function_call/observation).
DATASET_INFO = {
    "columns": {"messages": "messages", "tools": "tools"},
    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
             "observation_tag": "tool", "function_tag": "function_call", "system_tag": "system"},
}
FORMATTINGS = ("openai", "sharegpt")


class NotExpressible(ValueError):
    """The conversation has no form in the documented dataset format (sharegpt: text beside a tool call, or tool
    results that do not alternate with calls)."""


def sharegpt_messages(messages: list[dict]) -> list[dict]:
    """OpenAI-style messages in data/README's sharegpt form: an assistant message with ``tool_calls`` becomes a
    ``function_call`` message whose value is the JSON of its calls (``[{"name", "arguments"}]``, as
    ``FunctionFormatter`` parses it), each ``tool`` message an observation. Raises ``NotExpressible`` where the
    format has no place for the conversation: text beside a call, or two tool results in a row."""
    out = []
    for index, message in enumerate(messages):
        role, content = message["role"], message.get("content")
        if role == "assistant" and message.get("tool_calls"):
            if content:
                raise NotExpressible(f"message {index}: sharegpt's function_call value holds the calls only, "
                                     f"not the assistant text beside them ({content!r:.40})")
            calls = [{"name": call["function"]["name"], "arguments": _arguments(call["function"]["arguments"])}
                     for call in message["tool_calls"]]
            out.append({"role": "function_call", "content": json.dumps(calls, ensure_ascii=False)})
            continue
        if role == "tool" and out and out[-1]["role"] == "tool":
            raise NotExpressible(f"message {index}: sharegpt alternates calls and observations; two tool results "
                                 "in a row have no form there")
        out.append({"role": role, "content": content if isinstance(content, str) else ""})
    return out


def _arguments(arguments):
    return json.loads(arguments) if isinstance(arguments, str) else arguments


def policy_for(mask_history: bool) -> Policy:
    """What LlamaFactory documents: every assistant turn is trained (``mask_history=True``: the last only); its
    templates write the text after the stop token into the assistant slot (Qwen's ``<|im_end|>\\n``), so that glue is
    trained, as in trl's training templates."""
    return Policy(turns="last" if mask_history else "all", train_glue_after_stop=None)


def _tokenizer_name(tokenizer) -> str:
    return str(getattr(tokenizer, "name_or_path", "")).rstrip("/").rsplit("/", 1)[-1]


def template_for(tokenizer) -> str | None:
    return TEMPLATES.get(_tokenizer_name(tokenizer))


def not_applicable(tokenizer) -> str | None:
    if template_for(tokenizer) is None and not isinstance(getattr(tokenizer, "chat_template", None), str):
        return "no LlamaFactory template is documented for this tokenizer and it has no chat template to parse"
    return None


def _import_llamafactory(formatting: str = "openai"):
    """LlamaFactory's data modules. ``llamafactory.data.mm_plugin`` imports torchaudio at load for audio inputs only;
    where no torchaudio matches the running torch, a placeholder stands in while it loads (any audio use fails)."""
    import importlib.machinery
    import importlib.util
    import sys
    import types

    placeholder = None
    if "torchaudio" not in sys.modules and importlib.util.find_spec("torchaudio") is None:
        placeholder = types.ModuleType("torchaudio")
        placeholder.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
        sys.modules["torchaudio"] = placeholder
    try:
        import llamafactory.data.mm_plugin  # noqa: F401
    finally:
        if placeholder is not None:
            del sys.modules["torchaudio"]
    from llamafactory.data.converter import DATASET_CONVERTERS
    from llamafactory.data.parser import DatasetAttr
    from llamafactory.data.processor.supervised import SupervisedDatasetProcessor
    from llamafactory.data.template import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments

    return (DATASET_CONVERTERS[formatting], DatasetAttr, SupervisedDatasetProcessor, get_template_and_fix_tokenizer,
            DataArguments)


_UNSET = object()


def masker(tokenizer, cfg: dict[str, Any] | None = None, **options: Any):
    """A masker running LlamaFactory's OpenAI converter, template and ``SupervisedDatasetProcessor`` on each row.

    ``cfg``/``options``: ``formatting`` ("openai", default, or "sharegpt": ``sharegpt_messages``); the rest are
    ``DataArguments`` fields (``template``: default the README's template for the tokenizer, ``None`` for
    LlamaFactory's parse of the tokenizer's template; ``mask_history``; ``train_on_prompt``; ``tool_format``;
    ``default_system``; ``cutoff_len``: default large enough that nothing is cut). The tokenizer is copied
    (LlamaFactory rewrites its eos token and chat template). A row the converter or processor drops raises.
    """
    options = {**dict(cfg or {}), **options}
    formatting = options.pop("formatting", "openai")
    if formatting not in FORMATTINGS:
        raise ValueError(f"LlamaFactory formatting {formatting!r}: the masker runs {', '.join(FORMATTINGS)}")
    converter_cls, attr_cls, processor_cls, get_template, data_args_cls = _import_llamafactory(formatting)
    template = options.pop("template", _UNSET)
    data_args = data_args_cls(template=template_for(tokenizer) if template is _UNSET else template,
                              cutoff_len=options.pop("cutoff_len", 1 << 20), **options)
    own = copy.deepcopy(tokenizer)
    chosen = get_template(own, data_args)
    attr = attr_cls("file", "harness", formatting=formatting, **DATASET_INFO["columns"], **DATASET_INFO["tags"])
    converter = converter_cls(attr, data_args)
    processor = processor_cls(template=chosen, tokenizer=own, processor=None, data_args=data_args)

    def run(messages, tools):
        messages = [dict(m) for m in messages]
        if formatting == "sharegpt":
            messages = sharegpt_messages(messages)
        row = converter({"messages": messages, "tools": json.dumps(tools) if tools else ""})
        batch = {key: [value] for key, value in row.items()}
        out = processor.preprocess_dataset(batch)
        if not out["input_ids"] or not row["_prompt"]:
            raise ValueError("LlamaFactory dropped the row (its converter or processor found it invalid)")
        return {"input_ids": list(out["input_ids"][0]), "labels": list(out["labels"][0])}

    run.policy = policy_for(bool(data_args.mask_history))
    run.trainer = f"llamafactory=={RELEASE}"
    run.template = data_args.template
    run.formatting = formatting
    return run
