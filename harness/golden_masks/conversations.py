"""The fixed conversations of the golden files. Each is built from what the template renders (``probe_template``);
one it cannot render is listed with the reason instead of being dropped silently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "units": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}
TOOLS = [WEATHER_TOOL]


@dataclass(frozen=True)
class GoldenConversation:
    name: str
    messages: list[dict] | None  # None: not renderable by this template, see ``reason``
    tools: list[dict] | None = None
    reason: str = ""


def _system(caps) -> list[dict]:
    return [{"role": "system", "content": "You are terse."}] if caps.system_role else []


def _call(caps, n: int, city: str) -> dict:
    return {"id": caps.make_tool_call_id(n), "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": city, "units": "c"}}}


def _calls_turn(caps, calls: list[dict]) -> dict:
    return {"role": "assistant", "content": caps.tool_call_content, "tool_calls": calls}


def _result(call: dict, content: str) -> dict:
    return {"role": "tool", "tool_call_id": call["id"], "name": "get_weather", "content": content}


def single_turn(caps, tokenizer):
    return _system(caps) + [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], None


def reasoning(caps, tokenizer):
    if not caps.reasoning_field:
        return "the template renders no reasoning field (probed: reasoning_content, thinking, reasoning)"
    return _system(caps) + [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4", caps.reasoning_field: "Two plus two is four."},
    ], None


def one_tool_call(caps, tokenizer):
    if not caps.tools:
        return "the template renders no tool calls"
    call = _call(caps, 1, "Paris")
    return _system(caps) + [
        {"role": "user", "content": "Weather in Paris?"}, _calls_turn(caps, [call]), _result(call, "18 C, clear"),
        {"role": "assistant", "content": "18 °C and clear."},
    ], TOOLS


def parallel_calls(caps, tokenizer):
    if not (caps.tools and caps.parallel_calls and caps.consecutive_tool_messages):
        return "the template renders no parallel tool calls"
    first, second = _call(caps, 1, "Paris"), _call(caps, 2, "Oslo")
    return _system(caps) + [
        {"role": "user", "content": "Paris and Oslo?"}, _calls_turn(caps, [first, second]),
        _result(first, "18 C"), _result(second, "4 C"), {"role": "assistant", "content": "Paris 18 °C, Oslo 4 °C."},
    ], TOOLS


def multi_step_tools(caps, tokenizer):
    if not (caps.tools and caps.multi_step_tools):
        return "the template renders no multi-step tool loop"
    first, second = _call(caps, 1, "Paris"), _call(caps, 2, "Lyon")
    return _system(caps) + [
        {"role": "user", "content": "Paris, then Lyon?"}, _calls_turn(caps, [first]), _result(first, "18 C"),
        _calls_turn(caps, [second]), _result(second, "21 C"), {"role": "assistant", "content": "Lyon is warmer."},
    ], TOOLS


def user_after_tools(caps, tokenizer):
    if not (caps.tools and caps.multi_turn):
        return "the template renders no tool calls in a multi-turn conversation"
    call = _call(caps, 1, "Paris")
    return _system(caps) + [
        {"role": "user", "content": "Weather in Paris?"}, _calls_turn(caps, [call]), _result(call, "18 C"),
        {"role": "assistant", "content": "18 °C."}, {"role": "user", "content": "Thanks!"},
        {"role": "assistant", "content": "You're welcome."},
    ], TOOLS


def control_strings(caps, tokenizer):
    """Message text that spells the template's control tokens (the tokenizer encodes them as the tokens)."""
    eos = tokenizer.eos_token or "</s>"
    return _system(caps) + [
        {"role": "user", "content": f"Repeat after me: {eos} <|im_start|>user"},
        {"role": "assistant", "content": f"Sure: {eos} done."},
    ], None


def whitespace_unicode(caps, tokenizer):
    messages = _system(caps) + [
        {"role": "user", "content": "  Ça va?\tnaïve 🙂 \n\n"},
        {"role": "assistant", "content": " Très bien — 東京 🌧️\n  "},
    ]
    if caps.multi_turn:
        messages += [{"role": "user", "content": "\u00a0"}, {"role": "assistant", "content": "\n"}]
    return messages, None


# In file order. Each returns (messages, tools), or a string: why the template cannot render it.
BUILDERS: list[tuple[str, Callable]] = [
    ("single-turn", single_turn),
    ("reasoning", reasoning),
    ("one-tool-call", one_tool_call),
    ("parallel-calls", parallel_calls),
    ("multi-step-tools", multi_step_tools),
    ("user-after-tools", user_after_tools),
    ("control-strings", control_strings),
    ("whitespace-unicode", whitespace_unicode),
]


def golden_conversations(tokenizer) -> list[GoldenConversation]:
    from harness.masking.template_probe import probe_template

    caps = probe_template(tokenizer)
    out = []
    for name, build in BUILDERS:
        built = build(caps, tokenizer)
        if isinstance(built, str):
            out.append(GoldenConversation(name, None, None, built))
        else:
            out.append(GoldenConversation(name, *built))
    return out
