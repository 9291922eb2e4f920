"""Whole conversations: ``conversations()`` (within a template's capabilities) and ``conversations_for(tokenizer)``
(its capabilities probed, its control strings added)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.masking.capabilities import TemplateCapabilities
from harness.masking.template_probe import probe_template
from harness.masking.tool_shapes import adapt_tools
from harness.strategies.controls import control_strings_for
from harness.strategies.options import check_bool, check_capabilities, check_control_strings, check_int
from harness.strategies.text import texts
from harness.strategies.tools import tool_schemas
from harness.strategies.turns import TEXT_CALLS, assistant_turns, tool_results


def conversations(
    *,
    max_turns: int = 4,
    tools: bool = True,
    capabilities: TemplateCapabilities | None = None,
    control_strings: Sequence[str] = (),
    reasoning: bool = True,
    hard_text: bool = True,
) -> st.SearchStrategy[dict]:
    """``{"messages": [...], "tools": [...] or None}``: an optional system prompt, 1..``max_turns``
    user turns, each answered by an assistant episode (0-2 tool-call steps, each followed by one tool
    message per call, then a final answer). Only what ``capabilities`` allows is generated; the last
    message is always an assistant answer. Where the template renders a repeated user turn unlike a
    distinct one (``capabilities.repeated_user_texts`` False), no user text repeats an earlier one."""
    check_int("max_turns", max_turns, 1, 50)
    check_bool("tools", tools)
    caps = check_capabilities(capabilities)
    controls = check_control_strings(control_strings)
    check_bool("reasoning", reasoning)
    check_bool("hard_text", hard_text)
    return _conversations(max_turns, tools, caps, controls, reasoning, hard_text)


@st.composite
def _conversations(draw, max_turns, tools, caps, controls, reasoning, hard_text) -> dict:
    text = texts(control_strings=controls, hard=hard_text)
    use_tools = tools and (caps.tools or caps.text_tool_calls)
    # A template that raises without tools gets them in every conversation, in the shape it renders.
    schemas = draw(tool_schemas()) if use_tools or caps.tools_required else None
    if schemas is not None:
        schemas = adapt_tools(schemas, caps.tool_shape)
    max_steps = (2 if caps.multi_step_tools else 1) if use_tools else 0

    messages: list[dict] = []
    if caps.system_role and draw(st.booleans()):
        messages.append({"role": "system", "content": draw(text)})
    turns = draw(st.integers(1, max_turns if caps.multi_turn else 1))
    next_id = 1
    options = {"capabilities": caps, "control_strings": controls, "reasoning": reasoning, "hard_text": hard_text}
    for _ in range(turns):
        messages.append({"role": "user", "content": _user_text(draw(text), messages, caps)})
        for _ in range(draw(st.integers(0, max_steps))):
            turn = draw(assistant_turns(tools=schemas, calls=True, first_id=next_id, **options))
            text_calls = turn.pop(TEXT_CALLS, None)
            calls = text_calls or turn["tool_calls"]
            next_id += len(calls)
            messages.append(turn)
            messages.extend(tool_results(draw, calls, text, by_id=text_calls is None))
        answer = draw(assistant_turns(calls=False, **options))
        # Answers often repeat the question or copy a tool's result verbatim: the same text then
        # appears in a non-assistant message first (where a masker that searches for it lands).
        earlier = [m["content"] for m in messages if m["role"] in ("user", "tool") and m["content"].strip()]
        if earlier and draw(st.integers(0, 3)) == 0:
            answer["content"] = draw(st.sampled_from(earlier))
        messages.append(answer)
    return {"messages": messages, "tools": list(schemas) if schemas else None}


def _user_text(drawn: str, messages: list[dict], caps: TemplateCapabilities) -> str:
    """``drawn``, or where the template renders a repeated user turn unlike a distinct one
    (``caps.repeated_user_texts`` False) and ``drawn`` repeats one, ``drawn`` made distinct by a number."""
    if caps.repeated_user_texts:
        return drawn
    earlier = {m["content"] for m in messages if m["role"] == "user"}
    text, n = drawn, 1
    while text in earlier:
        n += 1
        text = f"{drawn} ({n})" if drawn else f"({n})"
    return text


def conversations_for(tokenizer, *, template_kwargs: dict | None = None, **options: Any) -> st.SearchStrategy[dict]:
    """``conversations(**options)`` adapted to ``tokenizer``: its probed capabilities and its
    control strings (unless given in ``options``)."""
    if "capabilities" in options:
        raise InvalidArgument("conversations_for probes the capabilities itself; use conversations(capabilities=...)")
    options.setdefault("control_strings", control_strings_for(tokenizer))
    return conversations(capabilities=probe_template(tokenizer, template_kwargs=template_kwargs), **options)
