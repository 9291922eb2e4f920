"""Hypothesis strategies for OpenAI/HF-format chat conversations, adapted to a template's limits.

``conversations(capabilities=probe_template(tok))`` generates only what that template renders
faithfully, so a template's own limits are never reported as a masking bug; ``conversations_for(tok)``
does the probing and the control strings for you. Every conversation passes
``harness.masking.conversation.validate_conversation`` and ends with an assistant answer.

Shrinking: lists have small minimums and every ``one_of`` lists the simplest case first, so a
failing example shrinks to a short conversation of plain (often empty) words.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.masking.template_probe import PERMISSIVE, TemplateCapabilities, probe_template, text_tool_call

# Spellings of other templates' control tokens, added to a tokenizer's own by conversations_for.
CROSS_TEMPLATE_CONTROL_STRINGS = (
    "<|im_start|>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|start_header_id|>",
    "[INST]",
    "[/INST]",
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
    "<end_of_turn>",
    "<|end|>",
    "<|return|>",
)

# Hard non-ASCII pieces: accents, CJK, emoji (with ZWJ and skin tone), combining marks, RTL scripts.
NON_ASCII = (
    "café naïve",
    "日本語のテキスト",
    "中文字符",
    "한국어",
    "👍🏽 👨‍👩‍👧 🎉",
    "e\u0301 a\u0308 n\u0303",
    "مرحبا بالعالم",
    "שלום עולם",
    "\u200b\u200d\ufeff",
    "Ωμέγα ß ﬁ",
)
SEED_TAGS = ("cite", "answer")

TOOL_SCHEMAS: tuple[dict, ...] = (
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a location.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "options": {
                        "type": "object",
                        "properties": {"hourly": {"type": "boolean"}, "days": {"type": "integer"}},
                    },
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_documents",
            "description": "Search a document store.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "filters": {
                        "type": "object",
                        "properties": {
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "date_range": {
                                "type": "object",
                                "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
                            },
                        },
                    },
                    "limit": {"type": "integer"},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "create_event",
            "description": "Create a calendar event.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "attendees": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                        },
                    },
                    "metadata": {"type": "object"},
                },
                "required": ["title"],
            },
        },
    },
)


# --------------------------------------------------------------------------------------------
# Argument checks


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise InvalidArgument(f"{name} must be {bound}, got {value}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be True or False, got {value!r}")


def _check_control_strings(control_strings: Any) -> tuple[str, ...]:
    if isinstance(control_strings, (str, bytes)) or not isinstance(control_strings, (Sequence, set, frozenset)):
        raise InvalidArgument(f"control_strings must be a sequence of strings, got {control_strings!r}")
    bad = [s for s in control_strings if not isinstance(s, str) or not s]
    if bad:
        raise InvalidArgument(f"control_strings must be non-empty strings, got {bad!r}")
    return tuple(dict.fromkeys(control_strings))  # order kept: the first ones are drawn most often


def _check_capabilities(capabilities: Any) -> TemplateCapabilities:
    if capabilities is None:
        return PERMISSIVE
    if not isinstance(capabilities, TemplateCapabilities):
        raise InvalidArgument(
            f"capabilities must be a TemplateCapabilities (from probe_template) or None, got {type(capabilities).__name__}"
        )
    return capabilities


def _check_tools(tools: Any) -> tuple[dict, ...]:
    if isinstance(tools, (str, bytes, dict)) or not isinstance(tools, Sequence) or not tools:
        raise InvalidArgument(f"tools must be a non-empty sequence of OpenAI function schemas, got {tools!r}")
    for tool in tools:
        if not isinstance(tool, dict) or not isinstance(tool.get("function", {}).get("name"), str):
            raise InvalidArgument(f"not an OpenAI function schema: {tool!r}")
    return tuple(tools)


# --------------------------------------------------------------------------------------------
# Text

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_PLAIN = st.lists(_WORD, max_size=6).map(" ".join)


def texts(*, max_size: int = 4000, control_strings: Sequence[str] = (), hard: bool = True) -> st.SearchStrategy[str]:
    """Message text: plain lowercase words first (shrinks to ""), then, if ``hard``, empty strings,
    leading/trailing whitespace, non-ASCII (accents, CJK, emoji, combining marks, Arabic/Hebrew),
    long text (rarely: a few thousand characters, if ``max_size`` allows) and ``control_strings``
    spelled inside the content. Every text is at most ``max_size`` characters. Built once per set
    of options (strategies are immutable, and composites ask for them on every draw)."""
    _check_int("max_size", max_size, 0)
    _check_bool("hard", hard)
    return _texts(max_size, _check_control_strings(control_strings), hard)


@functools.lru_cache(maxsize=256)
def _texts(max_size: int, controls: tuple[str, ...], hard: bool) -> st.SearchStrategy[str]:
    if not hard:
        return _PLAIN.map(lambda s: s[:max_size])
    # The first few control strings (control_strings_for lists the template's own turn-ending tokens
    # first) are drawn half the time: a stop token spelled inside content is the case that matters.
    control = st.one_of(st.sampled_from(controls[:3]), st.sampled_from(controls)) if controls else None
    piece = st.one_of(_PLAIN, st.sampled_from(NON_ASCII), *([control] if controls else []))
    mixed = st.lists(piece, min_size=1, max_size=4).map(" ".join)
    padded = st.tuples(
        st.sampled_from([" ", "\n", "  \n", "\t", "\n\n"]), mixed, st.sampled_from(["", " ", "\n", "\n\n "])
    ).map("".join)
    hard_cases = [st.just(""), mixed, padded]
    if controls:
        # A control string glued to words, as a model (or a scraped document) might write it.
        hard_cases.append(st.tuples(_PLAIN, control, _PLAIN).map("".join))
    if max_size >= 1000:
        long_text = st.tuples(mixed, st.integers(200, 600)).map(lambda p: ((p[0] or "x") + "\n") * p[1])
        hard_cases.append(long_text)
    # Plain text most of the time; hard cases are a third of the draws, long text rare.
    strategy = st.one_of(_PLAIN, _PLAIN, st.one_of(*hard_cases))
    return strategy.map(lambda s: s[:max_size])


# --------------------------------------------------------------------------------------------
# Tools


def tool_schemas(*, max_size: int = len(TOOL_SCHEMAS)) -> st.SearchStrategy[list[dict]]:
    """A non-empty list of distinct schemas from ``TOOL_SCHEMAS`` (OpenAI function tools, nested JSON parameters)."""
    _check_int("max_size", max_size, 1)
    return st.lists(st.sampled_from(range(len(TOOL_SCHEMAS))), min_size=1, max_size=max_size, unique=True).map(
        lambda idx: [TOOL_SCHEMAS[i] for i in sorted(idx)]
    )


_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(lambda k: k[0] != "_")


def tool_arguments(*, max_depth: int = 2, max_keys: int = 3, hard_text: bool = False) -> st.SearchStrategy[dict]:
    """A JSON object of tool-call arguments: simple identifier keys; values null, bools, numbers,
    strings, and lists/objects nested up to ``max_depth`` levels."""
    _check_int("max_depth", max_depth, 0, 5)
    _check_int("max_keys", max_keys, 0)
    _check_bool("hard_text", hard_text)
    return _tool_arguments(max_depth, max_keys, hard_text)


@functools.lru_cache(maxsize=64)
def _tool_arguments(max_depth: int, max_keys: int, hard_text: bool) -> st.SearchStrategy[dict]:
    scalar = st.one_of(
        texts(max_size=60, hard=hard_text),
        st.integers(-1000, 1000),
        st.booleans(),
        st.none(),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)),
    )
    value = scalar
    for _ in range(max_depth):
        inner = value
        value = st.one_of(
            scalar,
            st.lists(inner, max_size=3),
            st.dictionaries(_KEY, inner, max_size=max_keys),
        )
    return st.dictionaries(_KEY, value, max_size=max_keys)


def tool_calls(
    *,
    tools: Sequence[dict] = TOOL_SCHEMAS,
    max_calls: int = 1,
    first_id: int = 1,
    id_format: str = "call_{:04d}",
    hard_text: bool = False,
) -> st.SearchStrategy[list[dict]]:
    """1..``max_calls`` OpenAI tool calls to ``tools`` with nested-JSON dict arguments and ids
    ``id_format.format(first_id)``, ``id_format.format(first_id + 1)`` ..."""
    tools = _check_tools(tools)
    _check_int("max_calls", max_calls, 1)
    _check_int("first_id", first_id, 0)
    _check_bool("hard_text", hard_text)
    try:
        distinct = id_format.format(0) != id_format.format(1)
    except (AttributeError, IndexError, KeyError, ValueError):
        distinct = False
    if not distinct:
        raise InvalidArgument(f"id_format must be a str.format pattern with one field, got {id_format!r}")
    return _tool_calls(tools, max_calls, first_id, id_format, hard_text)


@st.composite
def _tool_calls(draw, tools, max_calls, first_id, id_format, hard_text) -> list[dict]:
    count = draw(st.integers(1, max_calls))
    calls = []
    for k in range(count):
        name = draw(st.sampled_from([t["function"]["name"] for t in tools]))
        arguments = draw(tool_arguments(hard_text=hard_text))
        calls.append({"id": id_format.format(first_id + k), "type": "function", "function": {"name": name, "arguments": arguments}})
    return calls


# --------------------------------------------------------------------------------------------
# Assistant turns


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
    tags and reasoning, inline ``<think>`` or in ``capabilities.reasoning_field``). ``calls=True``:
    one tool call (several when ``capabilities.parallel_calls``) to ``tools``, with content
    ``capabilities.tool_call_content`` or, where the template renders it, some text. Where the
    template drops structured calls but renders tool results (``capabilities.text_tool_calls``),
    the call is written as text in the content, in the template's documented format."""
    caps = _check_capabilities(capabilities)
    _check_bool("calls", calls)
    _check_bool("reasoning", reasoning)
    _check_bool("hard_text", hard_text)
    _check_int("first_id", first_id, 0)
    if calls and not (caps.tools or caps.text_tool_calls):
        raise InvalidArgument("calls=True, but the capabilities say the template renders no tool calls, not even as text")
    if tools is not None:
        tools = _check_tools(tools)
    text = texts(control_strings=control_strings, hard=hard_text)
    return _assistant_turns(caps, tools, calls, first_id, text, reasoning)


@st.composite
def _assistant_turns(draw, caps, tools, calls, first_id, text, reasoning) -> dict:
    message: dict[str, Any] = {"role": "assistant"}
    if not calls:
        message["content"] = draw(_answer_text(text=text, reasoning_inline=reasoning))
        if reasoning and caps.reasoning_field and draw(st.booleans()):
            message[caps.reasoning_field] = draw(text)
        return message
    if not caps.tools:  # the template drops structured calls: the call is text the model writes
        calls_made = draw(tool_calls(tools=tools or TOOL_SCHEMAS, max_calls=1, first_id=first_id, hard_text=draw(st.booleans())))
        call = calls_made[0]["function"]
        message["content"] = text_tool_call(call["name"], call["arguments"], caps.tool_call_tag)
        message[_TEXT_CALLS] = calls_made  # removed by _conversations: tells it which results to write
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
    if reasoning and caps.reasoning_field and caps.reasoning_with_tool_calls and not message["content"] and draw(st.booleans()):
        message[caps.reasoning_field] = draw(text)
    return message


_TEXT_CALLS = "_harness_text_calls"


def _tool_results(draw, calls: list[dict], text: st.SearchStrategy[str], *, by_id: bool = True) -> list[dict]:
    results = []
    for call in calls:
        content = draw(st.one_of(text, tool_arguments().map(lambda v: json.dumps(v, ensure_ascii=False))))
        result = {"role": "tool", "name": call["function"]["name"], "content": content}
        if by_id:
            result = {"role": "tool", "tool_call_id": call["id"], **{k: v for k, v in result.items() if k != "role"}}
        results.append(result)
    return results


# --------------------------------------------------------------------------------------------
# Conversations


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
    message is always an assistant answer."""
    _check_int("max_turns", max_turns, 1, 50)
    _check_bool("tools", tools)
    caps = _check_capabilities(capabilities)
    controls = _check_control_strings(control_strings)
    _check_bool("reasoning", reasoning)
    _check_bool("hard_text", hard_text)
    return _conversations(max_turns, tools, caps, controls, reasoning, hard_text)


@st.composite
def _conversations(draw, max_turns, tools, caps, controls, reasoning, hard_text) -> dict:
    text = texts(control_strings=controls, hard=hard_text)
    use_tools = tools and (caps.tools or caps.text_tool_calls)
    schemas = draw(tool_schemas()) if use_tools else None
    max_steps = (2 if caps.multi_step_tools else 1) if use_tools else 0

    messages: list[dict] = []
    if caps.system_role and draw(st.booleans()):
        messages.append({"role": "system", "content": draw(text)})
    turns = draw(st.integers(1, max_turns if caps.multi_turn else 1))
    next_id = 1
    options = {"capabilities": caps, "control_strings": controls, "reasoning": reasoning, "hard_text": hard_text}
    for _ in range(turns):
        messages.append({"role": "user", "content": draw(text)})
        for _ in range(draw(st.integers(0, max_steps))):
            turn = draw(assistant_turns(tools=schemas, calls=True, first_id=next_id, **options))
            text_calls = turn.pop(_TEXT_CALLS, None)
            calls = text_calls or turn["tool_calls"]
            next_id += len(calls)
            messages.append(turn)
            messages.extend(_tool_results(draw, calls, text, by_id=text_calls is None))
        answer = draw(assistant_turns(calls=False, **options))
        # Answers often repeat the question or copy a tool's result verbatim: the same text then
        # appears in a non-assistant message first (where a masker that searches for it lands).
        earlier = [m["content"] for m in messages if m["role"] in ("user", "tool") and m["content"].strip()]
        if earlier and draw(st.integers(0, 3)) == 0:
            answer["content"] = draw(st.sampled_from(earlier))
        messages.append(answer)
    return {"messages": messages, "tools": list(schemas) if schemas else None}


def control_strings_for(tokenizer) -> tuple[str, ...]:
    """Control-token strings worth spelling inside content: those the template itself writes (its
    turn markers and stop tokens, found by rendering a small conversation) plus common spellings of
    other templates' tokens. Unused reserved tokens (Llama has ~250) are left out so that the
    template's real stop token is drawn often."""
    from harness.adapters.transformers import render, special_token_strings

    sample = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    try:
        rendered = render(tokenizer, sample)
        prompt = render(tokenizer, sample[:1], add_generation_prompt=True)
        history = render(tokenizer, sample[:1])
    except Exception:
        rendered = prompt = history = ""
    specials = sorted(special_token_strings(tokenizer))
    # What the template writes after the answer (its stop token) first, then the rest it writes.
    ending = [s for s in specials if s in rendered[len(prompt) :]]
    used = [s for s in specials if s in rendered + prompt and s not in ending]
    # The template's own assistant header spelled in content (a masker that searches for the header
    # text, or for the role name, lands there), and the bare role words.
    header = prompt[len(history) :] if prompt.startswith(history) and len(prompt) > len(history) else ""
    roles = [header] if header.strip() else []
    roles += ["assistant\n", "assistant", "model\n"]
    return tuple(dict.fromkeys(ending + used + roles + sorted(CROSS_TEMPLATE_CONTROL_STRINGS)))


def conversations_for(tokenizer, *, template_kwargs: dict | None = None, **options: Any) -> st.SearchStrategy[dict]:
    """``conversations(**options)`` adapted to ``tokenizer``: its probed capabilities and its
    control strings (unless given in ``options``)."""
    if "capabilities" in options:
        raise InvalidArgument("conversations_for probes the capabilities itself; use conversations(capabilities=...)")
    options.setdefault("control_strings", control_strings_for(tokenizer))
    return conversations(capabilities=probe_template(tokenizer, template_kwargs=template_kwargs), **options)
