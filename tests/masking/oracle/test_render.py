"""Twin messages and where two renderings differ."""

from __future__ import annotations

import json

from harness.masking.oracle import twin_message
from harness.masking.oracle.render import _diff_region, _shared_prefix, _shared_suffix


def _differs_everywhere(a: str, b: str) -> bool:
    return len(a) == len(b) and all((x == y) == x.isspace() for x, y in zip(a, b))


def test_twin_message_changes_every_content_character_and_keeps_the_structure():
    message = {
        "role": "assistant",
        "content": "a 7\nb",
        "reasoning_content": "think 77",
        "tool_calls": [
            {"type": "function", "function": {"name": "f", "arguments": json.dumps({"city": "Paris", "n": 3})}},
            {"type": "function", "function": {"name": "g", "arguments": {"q": "x y"}}},
        ],
    }
    twin = twin_message(message)
    assert twin["role"] == "assistant" and message["content"] == "a 7\nb"  # the original is untouched
    assert _differs_everywhere(message["content"], twin["content"])
    assert _differs_everywhere(message["reasoning_content"], twin["reasoning_content"])
    assert [c["function"]["name"] for c in twin["tool_calls"]] == ["f", "g"]
    # Keys kept; numbers changed too, so a call whose arguments are numbers alone still has a region.
    assert json.loads(twin["tool_calls"][0]["function"]["arguments"]) == {"city": "77777", "n": 7}
    assert twin["tool_calls"][1]["function"]["arguments"] == {"q": "7 7"}


def test_diff_region_is_what_remains_after_the_common_prefix_and_suffix():
    assert _shared_prefix("abcdef", "abcxef") == 3 and _shared_suffix("abcdef", "abcxef", 3) == 2
    assert _diff_region("abcdef", "abcxef") == (3, 4)
    assert _diff_region("ab-cd", "abcd") == (2, 3)
    assert _diff_region("abcd", "ab-cd") == (2, 2)
    assert _diff_region("same", "same") is None
