"""Behaviours read from a template's renderings (harness/survey/behaviours.py), through survey rows."""

from __future__ import annotations

from harness.survey import survey_row


def test_qwen_behaviours_are_read_from_its_renderings(load_tokenizer_or_skip):
    load_tokenizer_or_skip("qwen2.5-instruct")
    row = survey_row("qwen2.5-instruct", examples=3)
    assert row.error is None, row.error
    b = row.behaviours
    assert b.header == "<|im_start|>assistant\\n"
    assert b.stops == "answer <|im_end|> (call: same)"
    assert b.tool_role.startswith("user: ")  # Qwen2.5 writes tool results in a user turn
    assert b.transitions["u→a"] == "✓" and b.transitions["gp→a"] == "✓"
    assert row.refusals.total == 3 and row.refusals.rate == 0.0


def test_a_template_with_two_stop_tokens_and_an_ipython_role_shows_them(load_tokenizer_or_skip):
    load_tokenizer_or_skip("functionary-medium-v3.1")
    b = survey_row("functionary-medium-v3.1", examples=2).behaviours
    assert b.stops == "answer <|eot_id|>, call <|eom_id|>"  # one stop after a tool call, another after an answer
    assert b.tool_role.startswith("ipython: ")
