"""The two conversation shapes of the H07 question, and the scripted model that "samples" them.

* ``gsm8k``: single step: question, the assistant's reasoning and ``<answer>``.
* ``tool``: multi step: question, a tool call, its result, a second call, its result, an answer, a follow-up user
  question and a last answer (covers assistant->tool, tool->assistant and assistant->user transitions).

What the model samples in each assistant turn is taken from the tokenizer's own chat template, independently of
every pipeline under test: the oracle's ``sampled_text`` (the text after the generation prompt, through the stop
token), tokenized as the model would emit it.
"""

from __future__ import annotations

import json

SHAPES = ("gsm8k", "tool")

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
    },
}


def _call(call_id: str, expression: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": "calculator", "arguments": {"expression": expression}}}


def conversation(shape: str) -> tuple[list[dict], list[dict] | None]:
    """``(messages, tools)`` of ``shape``."""
    question = "Natalia sold clips to 48 of her friends in April, and then half as many in May. How many in total?"
    if shape == "gsm8k":
        return [
            {"role": "user", "content": question},
            {"role": "assistant", "content": "In May she sold 48 / 2 = 24 clips. In total 48 + 24 = 72.\n<answer>72</answer>"},
        ], None
    if shape == "tool":
        return [
            {"role": "user", "content": question},
            {"role": "assistant", "content": "", "tool_calls": [_call("call_1", "48 / 2")]},
            {"role": "tool", "tool_call_id": "call_1", "name": "calculator", "content": "24"},
            {"role": "assistant", "content": "", "tool_calls": [_call("call_2", "48 + 24")]},
            {"role": "tool", "tool_call_id": "call_2", "name": "calculator", "content": "72"},
            {"role": "assistant", "content": "She sold 72 clips.\n<answer>72</answer>"},
            {"role": "user", "content": "And if she sold 10 more in June?"},
            {"role": "assistant", "content": "72 + 10 = 82.\n<answer>82</answer>"},
        ], [CALCULATOR]
    raise ValueError(f"shape must be one of {SHAPES}, not {shape!r}")


def with_string_arguments(messages: list[dict]) -> list[dict]:
    """Tool-call arguments as JSON strings (the OpenAI wire form some renderers expect)."""
    out = []
    for m in messages:
        m = dict(m)
        if m.get("tool_calls"):
            m["tool_calls"] = [
                {**c, "function": {**c["function"], "arguments": json.dumps(c["function"]["arguments"])}}
                for c in m["tool_calls"]
            ]
        out.append(m)
    return out


def scripted_completion(tokenizer, messages: list[dict], tools: list[dict] | None, index: int) -> list[int]:
    """The ids the model samples for assistant message ``index`` given ``messages[:index]``, per the tokenizer's
    own template (harness.masking.oracle's sampled text, through the stop token), encoded without special-token additions."""
    from harness.masking.oracle import build_oracle

    oracle = build_oracle(tokenizer, messages[: index + 1], tools)
    text = oracle.turns[-1].sampled_text
    return list(tokenizer.encode(text, add_special_tokens=False))
