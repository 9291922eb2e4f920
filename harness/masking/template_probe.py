"""What a tokenizer's chat template accepts, found by probing it.

``probe_template(tokenizer)`` renders a handful of small conversations whose every text is a
distinct marker word, and records which ones render without an exception *and* show every
marker in the rendering. A template that silently drops a message (Phi-3.5 drops tools,
DeepSeek-R1 drops tool calls, SmolLM3 ignores ``tool_calls``) does not "support" it: training
data using that feature would not be what the model sees.

The result, a frozen ``TemplateCapabilities``, is cached per (template, template kwargs) so
Hypothesis strategies can ask for it on every example at no cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.conversation import REASONING_FIELDS

# Formats of tool-call ids, tried in order: OpenAI style first, then Mistral's 9 alphanumerics.
TOOL_CALL_ID_FORMATS = ("call_{:04d}", "{:09d}")

_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "probe_lookup",
        "description": "Look a thing up.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
}


@dataclass(frozen=True)
class TemplateCapabilities:
    """What a chat template renders faithfully (every message's text appears in the rendering).

    tool_call_content: the content a tool-call-only assistant turn takes (None where accepted, else "").
    tool_call_id: a ``str.format`` pattern for call ids the template accepts (``tool_call_id.format(n)``).
    tool_call_text: text content next to tool calls is rendered too.
    reasoning_field: the message field the template renders as the last assistant turn's reasoning.
    reasoning_with_tool_calls: that field may be set on a tool-call turn.
    multi_step_tools: call, result, call, result, answer in one assistant episode renders.
    tool_results: ``tool`` messages render (as the template's tool turn, or as another turn:
        SmolLM3 writes them as user turns).
    text_tool_calls: structured ``tool_calls`` are dropped but tool results render: a call is
        written as text in the assistant content, ``tool_call_tag`` (the tag the template's tool
        prompt documents, such as ``tool_call``) around ``{"name": ..., "arguments": ...}``, or
        that JSON alone where the template names no tag.
    """

    system_role: bool = True
    multi_turn: bool = True
    requires_alternation: bool = False
    tools: bool = True
    parallel_calls: bool = True
    consecutive_tool_messages: bool = True
    multi_step_tools: bool = True
    tool_call_content: str | None = None
    tool_call_text: bool = True
    tool_call_id: str = TOOL_CALL_ID_FORMATS[0]
    reasoning_field: str | None = "reasoning_content"
    reasoning_with_tool_calls: bool = True
    tool_results: bool = True
    text_tool_calls: bool = False
    tool_call_tag: str | None = None
    errors: tuple[str, ...] = ()  # why each failing probe failed, for summary()

    def make_tool_call_id(self, n: int) -> str:
        return self.tool_call_id.format(n)

    def summary(self) -> str:
        parts = []
        for f in fields(self):
            if f.name == "errors":
                continue
            parts.append(f"{f.name}={getattr(self, f.name)!r}")
        text = "TemplateCapabilities(" + ", ".join(parts) + ")"
        if self.errors:
            text += "\n  " + "\n  ".join(self.errors)
        return text


# Everything allowed: for conversations not adapted to any template (plain OpenAI format).
PERMISSIVE = TemplateCapabilities()


def _template_key(tokenizer, template_kwargs: Mapping[str, Any]) -> str:
    template = getattr(tokenizer, "chat_template", None)
    specials = (getattr(tokenizer, "bos_token", None), getattr(tokenizer, "eos_token", None))
    return json.dumps(
        [type(tokenizer).__name__, template, specials, dict(template_kwargs)], sort_keys=True, default=repr
    )


_CACHE: dict[str, TemplateCapabilities] = {}


def probe_template(tokenizer, *, template_kwargs: Mapping[str, Any] | None = None) -> TemplateCapabilities:
    """Probe ``tokenizer``'s chat template (about 15 renders, once per template and kwargs)."""
    kwargs = dict(template_kwargs or {})
    key = _template_key(tokenizer, kwargs)
    if key not in _CACHE:
        _CACHE[key] = _Prober(tokenizer, kwargs).run()
    return _CACHE[key]


def _call(name: str, value: str, call_id: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": {"query": value}}}


class _Prober:
    def __init__(self, tokenizer, template_kwargs: dict):
        self.tokenizer = tokenizer
        self.kwargs = template_kwargs
        self.errors: list[str] = []

    def _ok(self, label: str, messages: list[dict], tools: list[dict] | None, markers: list[str]) -> bool:
        try:
            text = hf.render(self.tokenizer, messages, tools, **self.kwargs)
        except Exception as error:  # any template error means "not supported"
            self.errors.append(f"{label}: {type(error).__name__}: {error}")
            return False
        missing = [m for m in markers if m not in text]
        if missing:
            self.errors.append(f"{label}: not rendered: {', '.join(missing)}")
            return False
        return True

    def run(self) -> TemplateCapabilities:
        user = {"role": "user", "content": "umarkerone"}
        answer = {"role": "assistant", "content": "amarkerone"}
        ok = self._ok
        multi_turn = ok(
            "multi_turn",
            [user, answer, {"role": "user", "content": "umarkertwo"}, {"role": "assistant", "content": "amarkertwo"}],
            None,
            ["umarkerone", "amarkerone", "umarkertwo", "amarkertwo"],
        )
        system_role = ok(
            "system_role", [{"role": "system", "content": "smarkerone"}, user, answer], None, ["smarkerone", "umarkerone"]
        )
        requires_alternation = not ok(
            "user_user", [user, {"role": "user", "content": "umarkertwo"}, answer], None, ["umarkerone", "umarkertwo"]
        )
        tools, content, call_id = self._probe_tools()
        id_format = call_id or TOOL_CALL_ID_FORMATS[0]
        parallel = consecutive = multi_step = call_text = reasoning_calls = text_calls = False
        tag = None
        if tools:
            parallel, consecutive = self._probe_parallel(content, id_format)
            multi_step = self._probe_multi_step(content, id_format)
            call_text = self._probe_call_text(id_format)
        else:
            tag = _documented_call_tag(self.tokenizer, self.kwargs)
            text_calls = self._probe_text_calls(tag, steps=1)
            multi_step = text_calls and self._probe_text_calls(tag, steps=2)
        reasoning_field = None
        for name in REASONING_FIELDS:
            if ok(f"reasoning:{name}", [user, {"role": "assistant", "content": "amarkerone", name: "rmarkerone"}], None,
                  ["rmarkerone", "amarkerone"]):
                reasoning_field = name
                break
        if tools and reasoning_field:
            reasoning_calls = self._probe_reasoning_calls(reasoning_field, content, id_format)
        return TemplateCapabilities(
            system_role=system_role,
            multi_turn=multi_turn,
            requires_alternation=requires_alternation,
            tools=tools,
            parallel_calls=parallel,
            consecutive_tool_messages=consecutive,
            multi_step_tools=multi_step,
            tool_call_content=content if tools else "",
            tool_call_text=call_text,
            tool_call_id=id_format,
            reasoning_field=reasoning_field,
            reasoning_with_tool_calls=reasoning_calls,
            tool_results=tools or text_calls,
            text_tool_calls=text_calls,
            tool_call_tag=tag if text_calls else None,
            errors=tuple(self.errors),
        )

    def _tool_conversation(self, content, call_id: str) -> tuple[list[dict], list[str]]:
        messages = [
            {"role": "user", "content": "umarkerone"},
            {"role": "assistant", "content": content, "tool_calls": [_call("probe_lookup", "vmarkerone", call_id)]},
            {"role": "tool", "tool_call_id": call_id, "name": "probe_lookup", "content": "tmarkerone"},
            {"role": "assistant", "content": "amarkerone"},
        ]
        return messages, ["probe_lookup", "vmarkerone", "tmarkerone", "amarkerone"]

    def _probe_tools(self) -> tuple[bool, str | None, str | None]:
        """(tools supported, tool-call-only content, id format) from the first combination that works."""
        for id_format in TOOL_CALL_ID_FORMATS:
            for content in (None, ""):
                messages, markers = self._tool_conversation(content, id_format.format(1))
                if self._ok(f"tools(content={content!r}, id={id_format!r})", messages, [_PROBE_TOOL], markers):
                    return True, content, id_format
        return False, None, None

    def _probe_parallel(self, content, id_format: str) -> tuple[bool, bool]:
        a, b = id_format.format(1), id_format.format(2)
        messages = [
            {"role": "user", "content": "umarkerone"},
            {"role": "assistant", "content": content,
             "tool_calls": [_call("probe_lookup", "vmarkerone", a), _call("probe_lookup", "vmarkertwo", b)]},
            {"role": "tool", "tool_call_id": a, "name": "probe_lookup", "content": "tmarkerone"},
            {"role": "tool", "tool_call_id": b, "name": "probe_lookup", "content": "tmarkertwo"},
            {"role": "assistant", "content": "amarkerone"},
        ]
        results = ["tmarkerone", "tmarkertwo", "amarkerone"]
        parallel = self._ok("parallel_calls", messages, [_PROBE_TOOL], ["vmarkerone", "vmarkertwo", *results])
        consecutive = parallel or self._ok("consecutive_tool_messages", messages, [_PROBE_TOOL], results)
        return parallel, consecutive

    def _probe_multi_step(self, content, id_format: str) -> bool:
        a, b = id_format.format(1), id_format.format(2)
        messages = [
            {"role": "user", "content": "umarkerone"},
            {"role": "assistant", "content": content, "tool_calls": [_call("probe_lookup", "vmarkerone", a)]},
            {"role": "tool", "tool_call_id": a, "name": "probe_lookup", "content": "tmarkerone"},
            {"role": "assistant", "content": content, "tool_calls": [_call("probe_lookup", "vmarkertwo", b)]},
            {"role": "tool", "tool_call_id": b, "name": "probe_lookup", "content": "tmarkertwo"},
            {"role": "assistant", "content": "amarkerone"},
        ]
        markers = ["vmarkerone", "tmarkerone", "vmarkertwo", "tmarkertwo", "amarkerone"]
        return self._ok("multi_step_tools", messages, [_PROBE_TOOL], markers)

    def _probe_call_text(self, id_format: str) -> bool:
        messages, markers = self._tool_conversation("cmarkerone", id_format.format(1))
        return self._ok("tool_call_text", messages, [_PROBE_TOOL], [*markers, "cmarkerone"])

    def _probe_text_calls(self, tag: str | None, *, steps: int) -> bool:
        messages: list[dict] = [{"role": "user", "content": "umarkerone"}]
        markers = ["umarkerone", "amarkerone"]
        for step in ("one", "two")[:steps]:
            call = text_tool_call("probe_lookup", {"query": f"vmarker{step}"}, tag)
            messages.append({"role": "assistant", "content": call})
            messages.append({"role": "tool", "name": "probe_lookup", "content": f"tmarker{step}"})
            markers += [f"vmarker{step}", f"tmarker{step}"]
        messages.append({"role": "assistant", "content": "amarkerone"})
        return self._ok(f"text_tool_calls(steps={steps})", messages, [_PROBE_TOOL], markers)

    def _probe_reasoning_calls(self, field_name: str, content, id_format: str) -> bool:
        messages, markers = self._tool_conversation(content, id_format.format(1))
        messages[1] = {**messages[1], field_name: "rmarkerone"}
        # Reasoning of a tool-call turn before the final answer may legitimately be dropped from
        # history (Qwen3, gpt-oss): only require that it renders and the rest stays intact.
        return self._ok("reasoning_with_tool_calls", messages, [_PROBE_TOOL], markers)


def text_tool_call(name: str, arguments: Any, tag: str | None) -> str:
    """A tool call written as text: ``<tag>\n{"name": ..., "arguments": ...}\n</tag>``, or the JSON alone."""
    body = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"<{tag}>\n{body}\n</{tag}>" if tag else body


def _documented_call_tag(tokenizer, template_kwargs: Mapping[str, Any]) -> str | None:
    """The tag a template's tool prompt tells the model to write calls in (``<tool_call>``), if any."""
    import re

    try:
        prompt = hf.render(tokenizer, [{"role": "user", "content": "x"}], [_PROBE_TOOL], **template_kwargs)
    except Exception:
        return None
    for tag in re.findall(r"<([A-Za-z_]*tool_?call[A-Za-z_]*)>", prompt):
        if f"</{tag}>" in prompt:
            return tag
    return None


def probe_all(names: list[str], loader: Callable[[str], Any] = hf.load_tokenizer) -> dict[str, TemplateCapabilities]:
    """Capabilities of several tokenizers by name (for reports)."""
    return {name: probe_template(loader(name)) for name in names}
