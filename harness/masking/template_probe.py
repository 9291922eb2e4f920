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
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.capabilities import PERMISSIVE, TOOL_CALL_ID_FORMATS, TemplateCapabilities
from harness.masking.conversation import REASONING_FIELDS
from harness.masking.tool_schemas import TOOL_SCHEMAS
from harness.masking.tool_shapes import PROBE_TOOL, SCHEMA_SHAPES, ToolShape, adapt_tool, adapt_tools, documented_call_tag
from harness.masking.tool_shapes import probe_call
from harness.masking.tool_shapes import text_tool_call  # noqa: F401  (re-exported: public since the strategies used it)

__all__ = [
    "PERMISSIVE", "TOOL_CALL_ID_FORMATS", "TemplateCapabilities", "TemplateNotRenderable", "probe_all", "probe_template",
    "text_tool_call",
]

class TemplateNotRenderable(ValueError):
    """Not even a one-question, one-answer conversation renders, in any shape the probe tried."""


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


class _Prober:
    def __init__(self, tokenizer, template_kwargs: dict):
        self.tokenizer = tokenizer
        self.kwargs = template_kwargs
        self.errors: list[str] = []
        self.shape = ToolShape()
        self.default_tools: list[dict] | None = None  # given to every probe when the template requires tools

    def _tools(self) -> list[dict]:
        return [adapt_tool(PROBE_TOOL, self.shape)]

    def _render(self, messages: list[dict], tools: list[dict] | None) -> str:
        return hf.render(self.tokenizer, messages, tools if tools is not None else self.default_tools, **self.kwargs)

    def _ok(self, label: str, messages: list[dict], tools: list[dict] | None, markers: list[str]) -> bool:
        try:
            text = self._render(messages, tools)
        except Exception as error:  # any template error means "not supported"
            self.errors.append(f"{label}: {type(error).__name__}: {error}")
            return False
        missing = [m for m in markers if m not in text]
        if missing:
            self.errors.append(f"{label}: not rendered: {', '.join(missing)}")
            return False
        return True

    def _probe_basic(self) -> None:
        """A question and an answer: without tools, else with a tool of each schema shape; or raise, listing each try."""
        basic = [{"role": "user", "content": "umarkerone"}, {"role": "assistant", "content": "amarkerone"}]
        if self._ok("plain conversation (no tools)", basic, None, ["umarkerone", "amarkerone"]):
            return
        for schema in SCHEMA_SHAPES[:2]:  # the probe's tool is flat: the other shapes add nothing to it
            self.shape = ToolShape(schema=schema)
            if self._ok(f"plain conversation (tools given, schema {schema})", basic, self._tools(), ["umarkerone", "amarkerone"]):
                self.default_tools = self._tools()
                return
        raise TemplateNotRenderable(
            "the chat template renders no conversation the probe tried (a user question and an assistant answer):\n  "
            + "\n  ".join(self.errors)
        )

    def _probe_schema_shape(self) -> None:
        """The first schema shape in which the strategies' tool schemas render (``TOOL_SCHEMAS``)."""
        question = [{"role": "user", "content": "umarkerone"}]
        start = SCHEMA_SHAPES.index(self.shape.schema)
        for schema in SCHEMA_SHAPES[start:]:
            shape = ToolShape(schema=schema)
            if self._ok(f"tool schemas (schema {schema})", question, adapt_tools(TOOL_SCHEMAS, shape), ["umarkerone"]):
                self.shape = shape
                return

    def run(self) -> TemplateCapabilities:
        self._probe_basic()
        self._probe_schema_shape()
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
            tag = self._documented_call_tag()
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
        empty_answers = self._probe_empty_answers(multi_turn)
        repeated_user_texts = not multi_turn or self._probe_repeated_user_texts(tools)
        adapted = []
        if self.default_tools is not None:
            adapted.append("tools given in every conversation (the template raises without them: "
                           + next((e.split(": ", 1)[1] for e in self.errors if e.startswith("plain conversation (no")), "")
                           + ")")
        if (tools or text_calls or self.default_tools) and self.shape != ToolShape():
            adapted.append(self.shape.describe())
        if not empty_answers:
            why = next(e.split(": ", 1)[1] for e in self.errors if e.startswith("empty"))
            adapted.append(f"answers never empty (the template raises on an assistant turn with empty content and no "
                           f"tool calls: {why})")
        if not repeated_user_texts:
            adapted.append("user turns never repeat an earlier user turn's text (the template renders a copy of a "
                           "turn unlike a distinct turn: it compares messages by value)")
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
            tools_required=self.default_tools is not None,
            tool_shape=self.shape,
            empty_answers=empty_answers,
            repeated_user_texts=repeated_user_texts,
            adapted=tuple(adapted),
            errors=tuple(self.errors),
        )

    def _tool_conversation(self, content, call_id: str, shape: ToolShape | None = None) -> tuple[list[dict], list[str]]:
        messages = [
            {"role": "user", "content": "umarkerone"},
            {"role": "assistant", "content": content,
             "tool_calls": [probe_call("probe_lookup", "vmarkerone", call_id, shape or self.shape)]},
            {"role": "tool", "tool_call_id": call_id, "name": "probe_lookup", "content": "tmarkerone"},
            {"role": "assistant", "content": "amarkerone"},
        ]
        return messages, ["probe_lookup", "vmarkerone", "tmarkerone", "amarkerone"]

    def _probe_tools(self) -> tuple[bool, str | None, str | None]:
        """(tools supported, tool-call-only content, id format) from the first combination that works;
        arguments as a dict first, then as a JSON string (kept in ``self.shape``)."""
        for arguments_json in (self.shape.arguments_json, not self.shape.arguments_json):
            shape = ToolShape(schema=self.shape.schema, arguments_json=arguments_json)
            for id_format in TOOL_CALL_ID_FORMATS:
                for content in (None, ""):
                    messages, markers = self._tool_conversation(content, id_format.format(1), shape)
                    label = f"tools(content={content!r}, id={id_format!r}, arguments={'JSON string' if arguments_json else 'dict'})"
                    if self._ok(label, messages, [adapt_tool(PROBE_TOOL, shape)], markers):
                        self.shape = shape
                        return True, content, id_format
        return False, None, None

    def _probe_parallel(self, content, id_format: str) -> tuple[bool, bool]:
        a, b = id_format.format(1), id_format.format(2)
        messages = [
            {"role": "user", "content": "umarkerone"},
            {"role": "assistant", "content": content,
             "tool_calls": [probe_call("probe_lookup", "vmarkerone", a, self.shape),
                            probe_call("probe_lookup", "vmarkertwo", b, self.shape)]},
            {"role": "tool", "tool_call_id": a, "name": "probe_lookup", "content": "tmarkerone"},
            {"role": "tool", "tool_call_id": b, "name": "probe_lookup", "content": "tmarkertwo"},
            {"role": "assistant", "content": "amarkerone"},
        ]
        results = ["tmarkerone", "tmarkertwo", "amarkerone"]
        parallel = self._ok("parallel_calls", messages, self._tools(), ["vmarkerone", "vmarkertwo", *results])
        consecutive = parallel or self._ok("consecutive_tool_messages", messages, self._tools(), results)
        return parallel, consecutive

    def _probe_multi_step(self, content, id_format: str) -> bool:
        a, b = id_format.format(1), id_format.format(2)
        messages = [
            {"role": "user", "content": "umarkerone"},
            {"role": "assistant", "content": content, "tool_calls": [probe_call("probe_lookup", "vmarkerone", a, self.shape)]},
            {"role": "tool", "tool_call_id": a, "name": "probe_lookup", "content": "tmarkerone"},
            {"role": "assistant", "content": content, "tool_calls": [probe_call("probe_lookup", "vmarkertwo", b, self.shape)]},
            {"role": "tool", "tool_call_id": b, "name": "probe_lookup", "content": "tmarkertwo"},
            {"role": "assistant", "content": "amarkerone"},
        ]
        markers = ["vmarkerone", "tmarkerone", "vmarkertwo", "tmarkertwo", "amarkerone"]
        return self._ok("multi_step_tools", messages, self._tools(), markers)

    def _probe_call_text(self, id_format: str) -> bool:
        messages, markers = self._tool_conversation("cmarkerone", id_format.format(1))
        if not self._ok("tool_call_text", messages, self._tools(), [*markers, "cmarkerone"]):
            return False
        text = self._render(messages, self._tools())
        if text.index("cmarkerone") > text.index("tmarkerone"):
            # Gemma 4 writes a call turn's text after the tool's result: not what the model sampled.
            self.errors.append("tool_call_text: the text next to the calls is rendered after the tool result")
            return False
        return True

    def _probe_text_calls(self, tag: str | None, *, steps: int) -> bool:
        messages: list[dict] = [{"role": "user", "content": "umarkerone"}]
        markers = ["umarkerone", "amarkerone"]
        for step in ("one", "two")[:steps]:
            call = text_tool_call("probe_lookup", {"query": f"vmarker{step}"}, tag)
            messages.append({"role": "assistant", "content": call})
            messages.append({"role": "tool", "name": "probe_lookup", "content": f"tmarker{step}"})
            markers += [f"vmarker{step}", f"tmarker{step}"]
        messages.append({"role": "assistant", "content": "amarkerone"})
        return self._ok(f"text_tool_calls(steps={steps})", messages, self._tools(), markers)

    def _probe_reasoning_calls(self, field_name: str, content, id_format: str) -> bool:
        messages, markers = self._tool_conversation(content, id_format.format(1))
        messages[1] = {**messages[1], field_name: "rmarkerone"}
        # Reasoning of a tool-call turn before the final answer may legitimately be dropped from
        # history (Qwen3, gpt-oss): only require that it renders and the rest stays intact.
        return self._ok("reasoning_with_tool_calls", messages, self._tools(), markers)

    def _probe_empty_answers(self, multi_turn: bool) -> bool:
        """An answer with empty content renders, as the last turn and (multi-turn templates) in history."""
        start = [{"role": "user", "content": "umarkerone"}, {"role": "assistant", "content": ""}]
        later = [{"role": "user", "content": "umarkertwo"}, {"role": "assistant", "content": "amarkertwo"}]
        return self._ok("empty answer", start, None, ["umarkerone"]) and (
            not multi_turn or self._ok("empty answer in history", start + later, None, ["umarkertwo", "amarkertwo"]))

    def _probe_repeated_user_texts(self, tools: bool) -> bool:
        """Two user turns with the same text render like two distinct turns with that text put in (with the tools
        given where the template renders them: where they go may depend on which turn is "the last user turn")."""
        def conversation(second: str) -> list[dict]:
            return [{"role": "user", "content": "umarkerone"}, {"role": "assistant", "content": "amarkerone"},
                    {"role": "user", "content": second}, {"role": "assistant", "content": "amarkertwo"}]

        for given in ([self._tools()] if tools or self.default_tools else []) + [None]:
            try:
                same = self._render(conversation("umarkerone"), given)
                distinct = self._render(conversation("umarkertwo"), given)
            except Exception:  # the plain multi-turn probe already says why a render fails
                continue
            if distinct.replace("umarkertwo", "umarkerone") != same:
                self.errors.append("repeated user text: a user turn equal to another renders unlike a distinct one"
                                   + (" (tools given)" if given else ""))
                return False
        return True

    def _documented_call_tag(self) -> str | None:
        try:
            return documented_call_tag(self._render([{"role": "user", "content": "x"}], self._tools()))
        except Exception:
            return None


def probe_all(names: list[str], loader: Callable[[str], Any] = hf.load_tokenizer) -> dict[str, TemplateCapabilities]:
    """Capabilities of several tokenizers by name (for reports)."""
    return {name: probe_template(loader(name)) for name in names}
