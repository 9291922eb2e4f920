"""Rendering through the chat template, twin messages, and where two renderings differ.

A *twin* of a message has the same structure and whitespace but every content character replaced
by a different one; rendering the conversation with one message twinned and diffing it against the
real rendering gives the region of the rendering that depends on that message's text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.conversation import REASONING_FIELDS
from harness.masking.oracle.types import TemplateRenderError


def _render(tokenizer, messages, tools, template_kwargs, *, generation_prompt: bool = False) -> str:
    try:
        return hf.render(tokenizer, messages, tools, add_generation_prompt=generation_prompt, **template_kwargs)
    except Exception as error:  # the template's own limit: not something a masker can be judged on
        raise TemplateRenderError(f"the chat template cannot render this conversation: {type(error).__name__}: {error}") from error


def _twin_text(text: str) -> str:
    """Same length and whitespace, every other character replaced by a different digit."""
    return "".join(ch if ch.isspace() else ("7" if ch != "7" else "8") for ch in text)


def _twin_json(value: Any) -> Any:
    """``value`` with every string, number and bool changed (so a call of numbers alone still differs); keys kept."""
    if isinstance(value, str):
        return _twin_text(value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        digits = "".join(("7" if ch != "7" else "8") if ch.isdigit() else ch for ch in repr(abs(value)))
        return type(value)(digits) * (1 if value >= 0 else -1)
    if isinstance(value, Mapping):
        return {key: _twin_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_twin_json(item) for item in value]
    return value


def twin_message(message: Mapping[str, Any]) -> dict:
    """A message with the same structure whose every rendered content character differs."""
    twin = copy.deepcopy(dict(message))
    if isinstance(twin.get("content"), str):
        twin["content"] = _twin_text(twin["content"])
    for name in REASONING_FIELDS:
        if isinstance(twin.get(name), str):
            twin[name] = _twin_text(twin[name])
    for call in twin.get("tool_calls") or []:
        function = call.get("function", call)
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            function["arguments"] = json.dumps(_twin_json(json.loads(arguments)), ensure_ascii=False)
        elif arguments is not None:
            function["arguments"] = _twin_json(arguments)
    return twin


def _with_twin(messages: Sequence[Mapping], index: int) -> list[dict]:
    out = [dict(m) for m in messages]
    out[index] = twin_message(messages[index])
    return out


def _shared_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (slice comparisons in C, binary search)."""
    limit = min(len(a), len(b))
    if a[:limit] == b[:limit]:
        return limit
    lo, hi = 0, limit  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _shared_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    if limit <= 0:
        return 0
    if a[len(a) - limit :] == b[len(b) - limit :]:
        return limit
    lo, hi = 0, limit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _diff_region(a: str, b: str) -> tuple[int, int] | None:
    """Region of ``a`` that differs from ``b`` (maximal common prefix and suffix removed); None if equal."""
    if a == b:
        return None
    p = _shared_prefix(a, b)
    q = _shared_suffix(a, b, min(len(a), len(b)) - p)
    return p, len(a) - q


def _with_content_mark(messages, k) -> list[dict]:
    """``messages`` with a one-character mark after message ``k``'s content: where it is written is where the
    content ends (or would be, for an empty one)."""
    marked = [dict(m) for m in messages]
    marked[k]["content"] = (messages[k].get("content") or "") + "7"
    return marked


def _text_region(tokenizer, messages, k, tools, template_kwargs, rendered) -> tuple[int, int] | None:
    """The region of ``rendered`` (the render of ``messages``) that message ``k``'s text occupies."""
    region = _diff_region(rendered, _render(tokenizer, _with_twin(messages, k), tools, template_kwargs))
    if region is not None:
        return region
    # Nothing to twin (empty content, no reasoning, ``{}`` arguments): anchor the message where a
    # one-character content would be rendered, so it is not confused with a later one.
    try:
        region = _diff_region(rendered, _render(tokenizer, _with_content_mark(messages, k), tools, template_kwargs))
    except Exception:
        return None
    return (region[0], region[0]) if region is not None else None
