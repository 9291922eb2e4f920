"""``python -m harness survey`` (harness/survey/command.py)."""

from __future__ import annotations

from harness.cli import main


def test_the_command_prints_one_row_per_template_and_fails_on_an_unknown_one(load_tokenizer_or_skip, capsys):
    load_tokenizer_or_skip("qwen2.5-instruct")
    assert main(["survey", "qwen2.5-instruct", "--examples", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n| qwen2.5-instruct |") == 1 and "| refused |" in out and "transitions:" in out
    assert main(["survey", "no-such-template", "--examples", "1"]) == 1
    assert "not loaded: tokenizer 'no-such-template' not found" in capsys.readouterr().out
