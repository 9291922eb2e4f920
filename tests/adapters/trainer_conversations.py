"""Fixed conversations shared by the trainers' defect tests (tests/adapters/<trainer>/test_defects.py)."""

from __future__ import annotations

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]


def call(number: int, city: str) -> dict:
    return {"id": f"call_{number}", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": city}}}


PLAIN = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                      {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"},
                      {"role": "assistant", "content": "Bye."}], "tools": None}
TOOL_CALL = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                          {"role": "assistant", "content": "Let me check.", "tool_calls": [call(1, "Paris")]},
                          {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
                          {"role": "assistant", "content": "Sunny."}], "tools": TOOLS}
PARALLEL_RESULTS = {"messages": [{"role": "user", "content": "Weather in Paris and Rome?"},
                                 {"role": "assistant", "content": None,
                                  "tool_calls": [call(1, "Paris"), call(2, "Rome")]},
                                 {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
                                 {"role": "tool", "tool_call_id": "call_2", "name": "get_weather", "content": "rainy"},
                                 {"role": "assistant", "content": "Sunny, then rainy."}], "tools": TOOLS}
