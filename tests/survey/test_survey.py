"""The survey: behaviours found by rendering, the oracle's refusal rate, and the table ``python -m harness survey``
prints."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.survey import survey_row, survey_table
from harness.survey.refusals import refusals, sample_conversations


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


def test_what_the_probe_adapted_is_listed(load_tokenizer_or_skip):
    load_tokenizer_or_skip("hermes-3-llama-3.1-tool-use")
    row = survey_row("hermes-3-llama-3.1-tool-use", examples=2)
    assert "tools required" in row.adapted, row.adapted


def test_refusals_count_conversations_the_template_cannot_render(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("gemma-2-it")  # Gemma 2 raises on a system message
    conversation = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                                 {"role": "assistant", "content": "a"}], "tools": None}
    plain = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}], "tools": None}
    result = refusals(tokenizer, [conversation, plain])
    assert (len(result.refused), len(result.judged), result.rate) == (1, 1, 0.5)
    assert "System role not supported" in result.reasons()[0]


def test_sampled_conversations_are_reproducible(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    first = sample_conversations(tokenizer, 4, seed=3)
    assert first == sample_conversations(tokenizer, 4, seed=3) and len(first) == 4
    with pytest.raises(ValueError, match="count"):
        sample_conversations(tokenizer, 0)


def test_the_command_prints_one_row_per_template_and_fails_on_an_unknown_one(load_tokenizer_or_skip, capsys):
    load_tokenizer_or_skip("qwen2.5-instruct")
    assert main(["survey", "qwen2.5-instruct", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n| qwen2.5-instruct |") == 1 and "| refused |" in out and "transitions:" in out
    assert main(["survey", "no-such-template", "--examples", "1"]) == 1
    assert "not loaded: tokenizer 'no-such-template' not found" in capsys.readouterr().out


def test_an_error_row_keeps_the_table_shape():
    from harness.survey.rows import SurveyRow

    table = survey_table([SurveyRow("x", vocabulary="x", error="not loaded: nope")])
    header, rule, row = table.splitlines()[:3]
    assert header.count("|") == rule.count("|") == row.count("|")
