"""Building a renderer: ``renderer_for(tokenizer)`` with the typed config that matches each shared tokenizer.

``create_renderer`` with a typed config from ``RENDERER_CONFIGS`` (``DefaultRenderer`` for the rest); also the
copies of messages and tools every call into renderers gets.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

# tokenizer name -> (typed config name, config kwargs). Typed renderers exist for Qwen3, Llama 3.x and gpt-oss;
# Qwen2.5 (Hermes tool calls, the Qwen3 tool parser) and the rest go through DefaultRenderer (apply_chat_template).
RENDERER_CONFIGS: dict[str, tuple[str, dict]] = {
    "qwen3": ("Qwen3RendererConfig", {}),
    "llama-3.1-instruct": ("Llama3RendererConfig", {}),
    "llama-3.2-instruct": ("Llama3RendererConfig", {}),
    "gpt-oss-20b": ("GptOssRendererConfig", {}),
    "qwen2.5-instruct": ("DefaultRendererConfig", {"tool_parser": "qwen3"}),
    "deepseek-r1-distill-qwen-1.5b": ("DefaultRendererConfig", {"reasoning_parser": "think"}),
}
DEFAULT_CONFIG = ("DefaultRendererConfig", {})


class RendererUnavailable(RuntimeError):
    """The renderer cannot be built here (e.g. gpt-oss's harmony encoding needs a download)."""


def renderer_for(tokenizer, config_name: str | None = None, **config_kwargs: Any):
    """``create_renderer(tokenizer, <typed config>)`` for a shared tokenizer (by ``tokenizer.name_or_path``)."""
    import renderers

    if config_name is None:
        config_name, config_kwargs = RENDERER_CONFIGS.get(str(tokenizer.name_or_path), DEFAULT_CONFIG)
    if config_name == "Llama3RendererConfig" and "date_string" not in config_kwargs and "strftime_now" in (tokenizer.chat_template or ""):
        # The renderer pins "26 Jul 2024"; Llama 3.2's template writes today's date (strftime_now): match it, at the
        # instant the harness holds the template clock (check_masker, golden files), else now.
        from harness.adapters.transformers import template_now

        config_kwargs = {**config_kwargs, "date_string": template_now().strftime("%d %b %Y")}
    config = getattr(renderers, config_name)(**config_kwargs)
    try:
        renderer = renderers.create_renderer(tokenizer, config)
    except Exception as error:  # harmony's vocab download, a missing optional dependency
        raise RendererUnavailable(f"{config_name} for {tokenizer.name_or_path}: {type(error).__name__}: {error}") from error
    renderer.harness_config_name = config_name
    return renderer


def renderer_supports_tools(renderer) -> bool:
    return bool(getattr(renderer, "supports_tools", True))


def copied_messages(messages: Sequence[dict]) -> list[dict]:
    """Deep copies of ``messages`` as dicts: renderers may write into the messages it is given."""
    return [copy.deepcopy(dict(m)) for m in messages]


def copied_tools(tools) -> list[dict] | None:
    """Deep copies of ``tools`` as dicts, or None for no tools."""
    return [copy.deepcopy(dict(t)) for t in tools] if tools else None
