"""Validation of OpenAI-format conversations passed in by a user.

A malformed conversation is a user error, not a masking result: ``validate_conversation``
raises ``ConversationError`` naming the message index and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

ROLES = ("system", "developer", "user", "assistant", "tool")
# Fields an assistant message may carry its reasoning in (chat templates read different aliases).
REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")


class ConversationError(ValueError):
    """A conversation that no chat template should be asked to render."""


def _fail(index: int | None, problem: str) -> None:
    where = f"message {index}" if index is not None else "tools"
    raise ConversationError(f"{where}: {problem}")


def tool_call_arguments(call: Mapping[str, Any]) -> Any:
    """The arguments of one tool call as a JSON value (a JSON string is parsed)."""
    arguments = call.get("function", call).get("arguments")
    if isinstance(arguments, str):
        return json.loads(arguments)
    return arguments


def validate_conversation(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Raise ConversationError for the first structural problem found; return None when the conversation is sound."""
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise ConversationError(f"messages must be a list of dicts, got {type(messages).__name__}")
    if not messages:
        raise ConversationError("messages is empty")
    tool_names = set()
    for t_index, tool in enumerate(tools or []):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            _fail(None, f"tool {t_index} is not an OpenAI function schema ({{'type': 'function', 'function': {{'name': ...}}}})")
        tool_names.add(function["name"])
    open_calls: dict[str, str] = {}
    text_call_pending = False  # an assistant turn without structured calls may write its call as text
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            _fail(index, f"is a {type(message).__name__}, not a dict")
        role = message.get("role")
        if role not in ROLES:
            _fail(index, f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            _fail(index, f"content must be a string or None, got {type(content).__name__}")
        if role != "assistant" and content is None:
            _fail(index, f"{role} message has no content")
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if content is None and not calls:
                _fail(index, "assistant message has neither content nor tool_calls")
            open_calls = {}
            for c_index, call in enumerate(calls):
                function = call.get("function") if isinstance(call, Mapping) else None
                if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
                    _fail(index, f"tool_calls[{c_index}] has no function name")
                if tools is not None and function["name"] not in tool_names:
                    _fail(index, f"tool_calls[{c_index}] calls {function['name']!r}, which is not among the tools")
                try:
                    arguments = tool_call_arguments(call)
                except json.JSONDecodeError as error:
                    _fail(index, f"tool_calls[{c_index}] arguments are not JSON: {error}")
                if not isinstance(arguments, Mapping):
                    _fail(index, f"tool_calls[{c_index}] arguments must be a JSON object, got {type(arguments).__name__}")
                call_id = call.get("id") or f"#{c_index}"
                open_calls[call_id] = function["name"]
            text_call_pending = not calls and bool(content)
        elif role == "tool":
            if not open_calls and text_call_pending and message.get("tool_call_id") is None:
                continue  # the result of a call the assistant wrote as text (templates without structured calls)
            if not open_calls:
                _fail(index, "tool message answers no call (no assistant tool_calls are pending before it)")
            call_id = message.get("tool_call_id")
            if call_id is not None and call_id not in open_calls:
                _fail(index, f"tool message answers tool_call_id {call_id!r}, but the pending calls are {sorted(open_calls)}")
            if call_id is not None:
                open_calls.pop(call_id)
            else:
                open_calls.pop(next(iter(open_calls)))
        else:
            open_calls = {}
            text_call_pending = False
