"""The conformance table as text (one failure class per line) and as markdown (whole cells, ``|`` escaped)."""

from __future__ import annotations

from harness.conformance.results import CellResult
from harness.conformance.table import format_markdown, format_text

RESULTS = [
    CellResult("axolotl==0.21.0", "qwen2.5-instruct", "fail",
               failures=("input_ids_match_rendering[text differs]", "some_token_trained")),
    CellResult("axolotl==0.21.0", "llama-3.1-instruct", "pass"),
    CellResult("openrlhf==0.11.2", "qwen2.5-instruct", "n/a", reason="a | b"),
]


def test_text_rows_are_templates_and_columns_trainers():
    assert format_text(RESULTS).splitlines() == [
        "template            axolotl==0.21.0                          openrlhf==0.11.2",
        "------------------  ---------------------------------------  ----------------",
        "qwen2.5-instruct    input_ids_match_rendering[text differs]  n/a: a | b",
        "                    some_token_trained",
        "llama-3.1-instruct  pass                                     -",
    ]


def test_a_long_reason_wraps_within_its_column():
    cell = CellResult("verl==0.9.1", "qwen3", "error", reason="environment: " + "word " * 20)
    lines = format_text([cell], width=30).splitlines()
    assert len(lines) > 3 and all(len(line) <= len("template") + 2 + 30 for line in lines[2:])


def test_markdown_keeps_cells_whole_and_escapes_pipes():
    assert format_markdown(RESULTS).splitlines() == [
        "| template | axolotl==0.21.0 | openrlhf==0.11.2 |",
        "|---|---|---|",
        "| qwen2.5-instruct | input_ids_match_rendering[text differs], some_token_trained | n/a: a \\| b |",
        "| llama-3.1-instruct | pass | - |",
    ]


def test_no_results_say_so():
    assert format_text([]) == "(no results)"


def test_with_more_trainers_than_templates_the_trainers_run_down():
    results = [CellResult(f"{name}==1", "qwen3", "pass") for name in ("axolotl", "verl", "skyrl")]
    assert format_markdown(results).splitlines() == [
        "| trainer | qwen3 |", "|---|---|", "| axolotl==1 | pass |", "| verl==1 | pass |", "| skyrl==1 | pass |"]
    assert format_text(results).splitlines()[0].split() == ["trainer", "qwen3"]
