"""Stop tokens in a rendering: never cut in two, first and last found, spelled in content."""

from __future__ import annotations

from harness.masking.oracle import conversation_ending
from harness.masking.oracle.stops import _control_string_hazards, _first_stop, _last_stop, _outside_special

STOPS = ["<|endoftext|>", "<|end|>"]


def test_a_prefix_never_cuts_a_special_token():
    assert _outside_special("ab<|end|>cd", 5, STOPS) == 2
    assert _outside_special("ab<|end|>cd", 9, STOPS) == 9
    assert conversation_ending("x<|end|><|endoftext|>", "x<|end|><|assistant|>", STOPS) == "<|endoftext|>"
    assert conversation_ending("x<|end|>", "x<|end|><|assistant|>", STOPS) == ""


def test_first_and_last_stop():
    text = "a<|end|>b<|endoftext|>"
    assert _first_stop(text, STOPS, 0, len(text)) == (1, 8)
    assert _last_stop(text, STOPS, 0, len(text)) == (9, 22)
    assert _last_stop(text, STOPS, 0, 9) == (1, 8)
    assert _first_stop(text, STOPS, 2, 9) is None


def test_content_spelling_a_stop_token_is_a_control_string_hazard():
    messages = [{"role": "user", "content": "say <|end|>"}, {"role": "assistant", "content": "ok", "thinking": "<|endoftext|>"}]
    hazards = _control_string_hazards(messages, STOPS)
    assert [(h.kind, h.message_index) for h in hazards] == [("control_string", 0), ("control_string", 1)]
    assert "<|endoftext|>" in hazards[1].detail
