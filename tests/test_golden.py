"""Token boundaries per chat template, locked in golden/<template>.txt (one token per row).

A change in a template, a tokenizer or the oracle that moves a boundary fails here with a
one-line diff. Templates that print today's date see a fixed date.
"""

from __future__ import annotations

import pytest

from harness.adapters.transformers import frozen_template_date
from harness.check import token_table
from harness.oracle import build_oracle
from harness.template_probe import probe_template
from harness.tokenizer_registry import KNOWN_HUB_IDS
from tests.golden_extension import GoldenTokenTable

TOOLS = [
    {
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
]


def golden_conversation(capabilities) -> tuple[list[dict], list[dict] | None]:
    """System (if accepted), a tool loop (if accepted), a second user turn, and an answer."""
    messages = [{"role": "system", "content": "You are terse."}] if capabilities.system_role else []
    messages.append({"role": "user", "content": "Weather in Paris?"})
    tools = None
    if capabilities.tools:
        call_id = capabilities.tool_call_id.format(1)
        messages += [
            {
                "role": "assistant",
                "content": capabilities.tool_call_content,
                "tool_calls": [
                    {"id": call_id, "type": "function",
                     "function": {"name": "get_weather", "arguments": {"city": "Paris", "units": "c"}}}
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "name": "get_weather", "content": "18 C, clear"},
        ]
        tools = TOOLS
    messages += [
        {"role": "assistant", "content": "18 °C and clear."},
        {"role": "user", "content": "Thanks!"},
        {"role": "assistant", "content": "You're welcome."},
    ]
    return messages, tools


@pytest.mark.parametrize("name", sorted(KNOWN_HUB_IDS))
def test_golden_token_table(name, load_tokenizer_or_skip, snapshot):
    tokenizer = load_tokenizer_or_skip(name)
    with frozen_template_date():
        messages, tools = golden_conversation(probe_template(tokenizer))
        oracle = build_oracle(tokenizer, messages, tools)
        table = token_table(oracle)
    header = f"# {name}: expected labels of a fixed conversation (✓ trained, ✗ not, ~ either)\n"
    assert header + table + "\n" == snapshot(extension_class=GoldenTokenTable)
