"""Turns: ``assistant_turns()`` (an answer, or tool calls written the way the template renders them) and the tool
messages answering a turn's calls."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.masking.capabilities import TemplateCapabilities
from harness.masking.tool_shapes import adapt_arguments, text_tool_call
from harness.strategies.options import check_bool, check_capabilities, check_int, check_tools
from harness.strategies.text import texts
from harness.strategies.tools import TOOL_SCHEMAS, tool_arguments, tool_calls

# The key of a text-call turn's calls: removed by ``conversations``, which writes the results they get.
TEXT_CALLS = "_harness_text_calls"


@st.composite
def _answer_text(draw, *, text: st.SearchStrategy[str], reasoning_inline: bool) -> str:
    """Answer content: text, optionally with the seed tags and an inline <think> block."""
    body = draw(text)
    tags = draw(st.sampled_from([(), ("answer",), ("cite", "answer")]))
    if "cite" in tags:
        body = f"<cite>{draw(text)}</cite> {body}"
    if "answer" in tags:
        body = f"<answer>{body}</answer>"
    if reasoning_inline and draw(st.booleans()):
        body = f"<think>\n{draw(text)}\n</think>\n\n{body}"
    return body


def assistant_turns(
    *,
    capabilities: TemplateCapabilities | None = None,
    tools: Sequence[dict] | None = None,
    calls: bool = False,
    first_id: int = 1,
    control_strings: Sequence[str] = (),
    reasoning: bool = True,
    hard_text: bool = True,
) -> st.SearchStrategy[dict]:
    """One assistant message. ``calls=False``: an answer (text, maybe with ``<cite>``/``<answer>``
    tags and reasoning, inline ``<think>`` or in ``capabilities.reasoning_field``), never empty where
    ``capabilities.empty_answers`` is False. ``calls=True``:
    one tool call (several when ``capabilities.parallel_calls``) to ``tools``, with content
    ``capabilities.tool_call_content`` or, where the template renders it, some text. Where the
    template drops structured calls but renders tool results (``capabilities.text_tool_calls``),
    the call is written as text in the content, in the template's documented format."""
    caps = check_capabilities(capabilities)
    check_bool("calls", calls)
    check_bool("reasoning", reasoning)
    check_bool("hard_text", hard_text)
    check_int("first_id", first_id, 0)
    if calls and not (caps.tools or caps.text_tool_calls):
        raise InvalidArgument("calls=True, but the capabilities say the template renders no tool calls, not even as text")
    if tools is not None:
        tools = check_tools(tools)
    text = texts(control_strings=control_strings, hard=hard_text)
    return _assistant_turns(caps, tools, calls, first_id, text, reasoning)


@st.composite
def _assistant_turns(draw, caps, tools, calls, first_id, text, reasoning) -> dict:
    message: dict[str, Any] = {"role": "assistant"}
    if not calls:
        answer = _answer_text(text=text, reasoning_inline=reasoning)
        # A template that raises on an empty answer (caps.empty_answers False) gets none.
        message["content"] = draw(answer if caps.empty_answers else answer.filter(bool))
        if reasoning and caps.reasoning_field and draw(st.booleans()):
            message[caps.reasoning_field] = draw(text)
        return message
    if not caps.tools:  # the template drops structured calls: the call is text the model writes
        calls_made = draw(tool_calls(tools=tools or TOOL_SCHEMAS, max_calls=1, first_id=first_id, hard_text=draw(st.booleans())))
        call = calls_made[0]["function"]
        message["content"] = text_tool_call(call["name"], call["arguments"], caps.tool_call_tag)
        message[TEXT_CALLS] = calls_made  # removed by conversations: tells it which results to write
        return message
    max_calls = 3 if caps.parallel_calls and caps.consecutive_tool_messages else 1
    message["content"] = caps.tool_call_content
    if caps.tool_call_text and draw(st.booleans()):
        message["content"] = draw(text)
    hard_arguments = draw(st.booleans())  # non-ASCII, whitespace-padded strings in arguments half the time
    message["tool_calls"] = draw(
        tool_calls(tools=tools or TOOL_SCHEMAS, max_calls=max_calls, first_id=first_id, id_format=caps.tool_call_id,
                   hard_text=hard_arguments)
    )
    for call in message["tool_calls"]:  # a JSON string where the template reads arguments as one
        call["function"]["arguments"] = adapt_arguments(call["function"]["arguments"], caps.tool_shape)
    if reasoning and caps.reasoning_field and caps.reasoning_with_tool_calls and not message["content"] and draw(st.booleans()):
        message[caps.reasoning_field] = draw(text)
    return message


def tool_results(draw, calls: list[dict], text: st.SearchStrategy[str], *, by_id: bool = True) -> list[dict]:
    """One tool message per call, drawn inside a composite: text or a JSON object, matched to its call by
    ``tool_call_id`` (``by_id``) or by name alone (calls written as text carry no id)."""
    results = []
    for call in calls:
        content = draw(st.one_of(text, tool_arguments().map(lambda v: json.dumps(v, ensure_ascii=False))))
        result = {"role": "tool", "name": call["function"]["name"], "content": content}
        if by_id:
            result = {"role": "tool", "tool_call_id": call["id"], **{k: v for k, v in result.items() if k != "role"}}
        results.append(result)
    return results
