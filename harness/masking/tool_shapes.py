"""The shapes a tool-using conversation can take, so the probe can try each and strategies write the one that renders.

Templates disagree on details the OpenAI format leaves open: some raise unless every tool (and
every parameter) has a ``description`` or a ``parameters`` object, some read arguments as a JSON
string rather than a dict, some take no tools at all unless ``tools`` is given. A ``ToolShape``
names one combination; ``adapt_tool`` / ``adapt_arguments`` turn the strategies' OpenAI-format
values into it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Schema shapes, tried in order: as written; with every missing ``description`` (tool and parameter)
# and ``parameters`` filled in; that and ``additionalProperties`` on every object (Command R+ reads
# it); else the one flat probe tool alone ("minimal").
SCHEMA_SHAPES = ("as given", "described", "closed objects", "minimal")

PROBE_TOOL = {
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
class ToolShape:
    """How tools and tool calls are written for one template."""

    schema: str = "as given"  # one of SCHEMA_SHAPES
    arguments_json: bool = False  # arguments as a JSON string instead of a dict

    def describe(self) -> str:
        parts = []
        if self.schema == "minimal":
            parts.append("one flat tool schema (the template renders none of the strategies' nested ones)")
        elif self.schema != "as given":
            parts.append("tool schemas with a description on every tool and parameter"
                         + (" and additionalProperties on every object" if self.schema == "closed objects" else ""))
        if self.arguments_json:
            parts.append("tool-call arguments as JSON strings")
        return ", ".join(parts) or "as given"


def _described(schema: Any, name: str = "value", closed: bool = False) -> Any:
    """``schema`` with a ``description`` on every property that has none (recursively); ``closed``:
    every object also says what its other keys hold (``additionalProperties``)."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    if "type" in out and "description" not in out:
        out["description"] = f"The {name.replace('_', ' ')}."
    if closed and out.get("type") == "object" and "additionalProperties" not in out:
        out["additionalProperties"] = {"type": "string"}
    if isinstance(out.get("properties"), Mapping):
        out["properties"] = {key: _described(value, key, closed) for key, value in out["properties"].items()}
    if isinstance(out.get("items"), Mapping):
        out["items"] = _described(out["items"], name, closed)
    return out


def adapt_tool(tool: Mapping[str, Any], shape: ToolShape) -> dict:
    """An OpenAI function tool rewritten into ``shape`` (the original is left as is)."""
    tool = copy.deepcopy(dict(tool))
    if shape.schema != "as given":
        function = tool.setdefault("function", {})
        function.setdefault("description", f"The {function.get('name', 'tool').replace('_', ' ')} tool.")
        parameters = function.setdefault("parameters", {"type": "object", "properties": {}})
        function["parameters"] = _described(parameters, closed=shape.schema != "described")
        function["parameters"].pop("description", None)
    return tool


def adapt_tools(tools, shape: ToolShape) -> list[dict]:
    """Tools in ``shape``; under the "minimal" shape, the probe's one flat tool in their place."""
    if shape.schema == "minimal":
        return [adapt_tool(PROBE_TOOL, shape)]
    return [adapt_tool(tool, shape) for tool in tools]


def adapt_arguments(arguments: Any, shape: ToolShape) -> Any:
    """Tool-call arguments in ``shape``'s form (a dict, or its JSON string)."""
    if shape.arguments_json and not isinstance(arguments, str):
        return json.dumps(arguments, ensure_ascii=False)
    return arguments


def probe_call(name: str, value: str, call_id: str, shape: ToolShape) -> dict:
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": adapt_arguments({"query": value}, shape)}}


def text_tool_call(name: str, arguments: Any, tag: str | None) -> str:
    """A tool call written as text: ``<tag>\n{"name": ..., "arguments": ...}\n</tag>``, or the JSON alone."""
    body = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"<{tag}>\n{body}\n</{tag}>" if tag else body


def documented_call_tag(prompt: str) -> str | None:
    """The tag a template's tool prompt tells the model to write calls in (``<tool_call>``), if any."""
    for tag in re.findall(r"<([A-Za-z_]*tool_?call[A-Za-z_]*)>", prompt):
        if f"</{tag}>" in prompt:
            return tag
    return None
