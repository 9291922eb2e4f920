"""The conformance table as text (one label per line) and as markdown (short cells: kind and link; ``|`` escaped):
rows of (trainer, configuration), ordinary failures apart from those that need control tokens in contents."""

from __future__ import annotations

from harness.conformance.results import CONTROL_TOKENS, ORDINARY, CellResult, Verdict
from harness.conformance.table import format_details, format_markdown, format_text, markdown_cell

RESULTS = [
    CellResult("axolotl==0.21.0", "qwen2.5-instruct", "fail",
               failures=("input_ids_match_rendering[text differs]", "some_token_trained")),
    CellResult("axolotl==0.21.0", "llama-3.1-instruct", "pass"),
    CellResult("openrlhf==0.11.2", "qwen2.5-instruct", "n/a", reason="a | b"),
]

DEFECT = Verdict("stop_token_trained[stop token]", ORDINARY, "defect", "defect", "docs/findings/x-stop.md", "x-stop",
                 "the stop token is trained twice")
UPSTREAM = Verdict("some_token_trained", ORDINARY, "known-upstream", "known upstream #12",
                   "https://github.com/o/r/issues/12", "x-dup", "a duplicate")
CONTROL = Verdict("no_label_outside_assistant_output[user]", CONTROL_TOKENS, "unexplained",
                  "unexplained: no_label_outside_assistant_output[user]")
EXPLAINED = CellResult("x==1", "qwen3", "fail", configuration="eot_tokens", examples=40,
                       failures=(DEFECT.failure, UPSTREAM.failure, CONTROL.failure), control_only=(CONTROL.failure,),
                       verdicts=(DEFECT, UPSTREAM, CONTROL))


def test_text_rows_are_templates_and_columns_trainer_configurations():
    assert format_text(RESULTS).splitlines() == [
        "template            axolotl==0.21.0 [defaults]               openrlhf==0.11.2 [defaults]",
        "------------------  ---------------------------------------  ---------------------------",
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
        "| template | axolotl==0.21.0 [defaults] | openrlhf==0.11.2 [defaults] |",
        "|---|---|---|",
        "| qwen2.5-instruct | `input_ids_match_rendering[text differs]`, `some_token_trained` | n/a: a \\| b |",
        "| llama-3.1-instruct | pass | - |",
    ]


def test_no_results_say_so():
    assert format_text([]) == "(no results)"


def test_with_more_trainer_configurations_than_templates_they_run_down_with_a_configuration_column():
    results = [CellResult(f"{name}==1", "qwen3", "pass", configuration=configuration)
               for name, configuration in (("axolotl", "defaults"), ("axolotl", "eot_tokens"), ("verl", "defaults"))]
    assert format_markdown(results).splitlines() == [
        "| trainer | configuration | qwen3 |", "|---|---|---|", "| axolotl==1 | defaults | pass |",
        "| axolotl==1 | eot_tokens | pass |", "| verl==1 | defaults | pass |"]
    assert format_text(results).splitlines()[0].split() == ["trainer", "configuration", "qwen3"]


def test_an_explained_cell_is_its_kinds_and_links_ordinary_data_first():
    assert markdown_cell(EXPLAINED, link_root="../") == (
        "ordinary: [defect](../docs/findings/x-stop.md), [known upstream #12](https://github.com/o/r/issues/12)"
        "<br>control tokens only: unexplained: `no_label_outside_assistant_output[user]`")
    assert EXPLAINED.cell == ("ordinary: defect, known upstream #12; control tokens only: "
                              "unexplained: no_label_outside_assistant_output[user]")


def test_a_cell_failing_only_with_control_tokens_says_ordinary_data_passes():
    only = CellResult("x==1", "qwen3", "fail", failures=(CONTROL.failure,), control_only=(CONTROL.failure,),
                      verdicts=(CONTROL,))
    assert markdown_cell(only) == "ordinary: pass<br>control tokens only: unexplained: `" + CONTROL.failure + "`"
    assert format_text([only]).splitlines()[2:] == [
        "qwen3     only with control tokens in contents:",
        "            unexplained: no_label_outside_assistant_output[user]",
    ]


def test_one_finding_explaining_several_classes_is_one_label_in_the_cell():
    second = Verdict("stop_token_trained[another turn's stop]", ORDINARY, "defect", "defect", DEFECT.link,
                     DEFECT.slug, DEFECT.title)
    cell = CellResult("x==1", "qwen3", "fail", failures=(DEFECT.failure, second.failure), verdicts=(DEFECT, second))
    assert markdown_cell(cell) == "[defect](docs/findings/x-stop.md)"


def test_the_details_list_each_class_what_it_needs_and_what_explains_it():
    second = Verdict("stop_token_trained[another turn's stop]", ORDINARY, "defect", "defect", DEFECT.link,
                     DEFECT.slug, DEFECT.title)
    cell = CellResult("x==1", "qwen3", "fail", configuration="eot_tokens", examples=40,
                      failures=(*EXPLAINED.failures, second.failure), control_only=EXPLAINED.control_only,
                      verdicts=(*EXPLAINED.verdicts, second))
    assert format_details([cell, RESULTS[1]]).splitlines() == [
        "- x==1 [eot_tokens], qwen3 (40 conversations):",
        "  - ordinary conversations: `stop_token_trained[stop token]`, `stop_token_trained[another turn's stop]`: "
        "[defect](docs/findings/x-stop.md) `x-stop`: the stop token is trained twice",
        "  - ordinary conversations: `some_token_trained`: [known upstream #12](https://github.com/o/r/issues/12) "
        "`x-dup`: a duplicate",
        "  - only with control tokens in contents: `no_label_outside_assistant_output[user]`: no finding explains them",
    ]


def test_the_unexplained_classes_of_a_cell_are_listed_once_after_the_explained_ones():
    other = Verdict("some_token_trained", ORDINARY, "unexplained", "unexplained: some_token_trained")
    first = Verdict("stop_token_trained[another turn's stop]", ORDINARY, "unexplained",
                    "unexplained: stop_token_trained[another turn's stop]")
    cell = CellResult("x==1", "qwen3", "fail", failures=(first.failure, DEFECT.failure, other.failure),
                      verdicts=(first, DEFECT, other))
    assert markdown_cell(cell) == ("[defect](docs/findings/x-stop.md), unexplained: "
                                   "`stop_token_trained[another turn's stop]`, `some_token_trained`")
    assert cell.cell == ("ordinary: defect, unexplained: stop_token_trained[another turn's stop], "
                         "some_token_trained")


def test_the_terminal_names_the_finding_beside_its_kind():
    lines = format_text([EXPLAINED], width=80).splitlines()[2:]
    assert [line.split("  ", 1)[-1].strip() for line in lines] == [
        "defect (x-stop)", "known upstream #12 (x-dup)", "only with control tokens in contents:",
        "unexplained: no_label_outside_assistant_output[user]"]
