"""The runner's JSON lines: read back among the trainer's own output, refused when malformed."""

from __future__ import annotations

import pytest

from harness.conformance.results import PREFIX, CellResult, RunnerOutputError, parse_lines

FAILED = CellResult("axolotl==0.21.0", "qwen2.5-instruct", "fail",
                    failures=("input_ids_match_rendering[text differs]", "stop_token_trained[stop token]"),
                    examples=211)


def test_result_lines_are_read_back_among_the_trainer_s_logging():
    na = CellResult("openrlhf==0.11.2", "aya-expanse", "n/a", reason="the chat_template is a dict")
    output = "\n".join(["[2026-12-05] INFO axolotl: Using chat template", FAILED.line(), "WARNING x", na.line()])
    assert parse_lines(output) == [FAILED, na]


def test_a_round_trip_keeps_every_field():
    assert CellResult.from_json(FAILED.to_json()) == FAILED
    assert FAILED.cell == "input_ids_match_rendering[text differs], stop_token_trained[stop token]"


def test_a_line_that_is_not_json_names_its_line_number():
    with pytest.raises(RunnerOutputError, match="runner output line 2: not JSON"):
        parse_lines("hello\n" + PREFIX + "{not json")


@pytest.mark.parametrize("data, message", [
    ({"trainer": "a==1", "template": "t", "status": "weird"}, "status must be one of"),
    ({"trainer": "a==1", "template": "t", "status": "fail"}, "names its failure classes"),
    ({"trainer": "a==1", "template": "t", "status": "n/a"}, "needs a reason"),
    ({"trainer": "a==1", "template": "t"}, r"missing keys \['status'\]"),
    ({"trainer": "a==1", "template": "t", "status": "pass", "colour": "red"}, r"unknown keys \['colour'\]"),
    (["a==1"], "is a JSON object, got list"),
])
def test_a_malformed_result_is_refused_saying_what_is_wrong(data, message):
    with pytest.raises(RunnerOutputError, match=message):
        CellResult.from_json(data)


def test_a_pass_that_exercised_less_than_the_template_renders_says_so():
    assert CellResult("a==1", "qwen3", "pass").cell == "pass"
    assert CellResult("a==1", "qwen3", "pass", reason="not exercised: tool results").cell == (
        "pass (not exercised: tool results)")


def test_control_only_failures_are_failures_and_every_failure_has_a_verdict():
    from harness.conformance.results import ORDINARY, Verdict

    with pytest.raises(RunnerOutputError, match=r"control_only \['x'\] are not failures"):
        CellResult("a==1", "t", "fail", failures=("y",), control_only=("x",))
    verdict = Verdict("y", ORDINARY, "unexplained", "unexplained: y")
    with pytest.raises(RunnerOutputError, match=r"no verdict for \['z'\]"):
        CellResult("a==1", "t", "fail", failures=("y", "z"), verdicts=(verdict,))
    with pytest.raises(RunnerOutputError, match="a finding's slug exactly when explained"):
        Verdict("y", ORDINARY, "defect", "defect")
    with pytest.raises(RunnerOutputError, match="a malformed verdict"):
        CellResult.from_json({"trainer": "a==1", "template": "t", "status": "fail", "failures": ["y"],
                              "verdicts": [{"failure": "y"}]})


def test_an_unexplained_cell_without_verdicts_still_separates_control_token_failures():
    cell = CellResult("a==1", "t", "fail", failures=("x", "y"), control_only=("y",))
    assert cell.ordinary == ("x",) and cell.cell == "x; control tokens only: y"
