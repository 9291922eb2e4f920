"""Rows for the dataset-audit tests: clean ones, and rows planted to fail in one data-dependent way each."""

from __future__ import annotations

import json

TOOLS = [{"type": "function", "function": {"name": "get_user", "description": "A user's profile.",
                                           "parameters": {"type": "object",
                                                          "properties": {"user_id": {"type": "string"}},
                                                          "required": ["user_id"]}}}]


def call(call_id: str, user: str, *, as_string: bool = False) -> dict:
    arguments = {"user_id": user}
    return {"id": call_id, "type": "function",
            "function": {"name": "get_user", "arguments": json.dumps(arguments) if as_string else arguments}}


def clean(k: int) -> dict:
    return {"id": f"clean-{k}", "messages": [
        {"role": "system", "content": "You help airline customers."},
        {"role": "user", "content": f"Look up user u{k}."},
        {"role": "assistant", "content": None, "tool_calls": [call(f"c{k}", f"u{k}")]},
        {"role": "tool", "tool_call_id": f"c{k}", "name": "get_user", "content": '{"name": "Mia"}'},
        {"role": "assistant", "content": "The user is Mia."}], "tools": TOOLS}


def planted() -> dict[str, dict]:
    """``{expected class: row}``: each row fails in exactly that class (for the qwen2.5 template, a correct masker
    and max_length 400)."""
    string_arguments = clean(100)
    string_arguments["id"] = "planted-string-arguments"
    string_arguments["messages"][2]["tool_calls"] = [call("c100", "u100", as_string=True)]
    control = clean(101)
    control["id"] = "planted-control-token"
    control["messages"][3]["content"] = '{"note": "<|im_end|>"}'
    unanswered = clean(102)
    unanswered["id"] = "planted-unanswered-call"
    unanswered["messages"][2]["tool_calls"] = [call("c102", "u102"), call("c102b", "u103")]
    long_answer = clean(103)
    long_answer["id"] = "planted-long-answer"
    long_answer["messages"][4]["content"] = "The user is Mia. " * 120
    return {"arguments_written_as_string": string_arguments, "control_token_in_content[tool]": control,
            "tool_call_ids[call without result]": unanswered, "cut_at_max_length": long_answer}
