"""Each failure class of a cell, explained by the findings registry: a defect links its report, a convention names
its option, a known upstream issue its number, a fix its release; a class no finding covers (another release,
configuration or template, or ordinary data where the finding needs control tokens) is ``unexplained``."""

from __future__ import annotations

import dataclasses

import pytest

from harness.conformance.known import Finding
from harness.conformance.results import CONTROL_TOKENS, ORDINARY, CellResult
from harness.conformance.verdicts import classify

STOP, USER, HEADER = "stop_token_trained[stop token]", "no_label_outside_assistant_output[user]", "some_token_trained"
BASE = Finding(slug="x-stop", title="the stop token is trained twice", trainer="x", version="1.0", kind="defect",
               upstream_status="searched", configurations=("defaults",), templates=("qwen3",), classes=(STOP,),
               content_control_tokens=False, report=True, adapter="x")
FINDINGS = [
    BASE,
    dataclasses.replace(BASE, slug="x-eot", kind="convention", option="eot_tokens (docs/dataset-formats)",
                        report=False, classes=(HEADER,), configurations=("defaults", "eot_tokens")),
    dataclasses.replace(BASE, slug="x-quoted", kind="known-upstream", report=False, classes=(USER,),
                        upstream=("https://github.com/o/x/issues/7", "https://github.com/o/x/pull/9"),
                        content_control_tokens=True),
]


def cell(*failures, control_only=(), configuration="defaults", template="qwen3", trainer="x==1.0") -> CellResult:
    return CellResult(trainer, template, "fail", failures=failures, control_only=control_only,
                      configuration=configuration)


def labels(result: CellResult) -> list[tuple[str, str, str, str]]:
    return [(v.failure, v.contents, v.label, v.link) for v in result.verdicts]


def test_each_kind_has_its_label_and_link():
    result = classify(cell(STOP, HEADER, USER, control_only=(USER,)), FINDINGS, adapter="x")
    assert labels(result) == [
        (STOP, ORDINARY, "defect", "docs/findings/x-stop.md"),
        (HEADER, ORDINARY, "convention: eot_tokens", ""),
        (USER, CONTROL_TOKENS, "known upstream #7, #9", "https://github.com/o/x/issues/7"),
    ]


def test_a_fix_upstream_names_the_release_and_links_the_pull_request():
    fixed = dataclasses.replace(FINDINGS[2], slug="x-fixed", kind="fixed-upstream", fixed_in="1.1")
    assert labels(classify(cell(USER, control_only=(USER,)), [fixed], adapter="x")) == [
        (USER, CONTROL_TOKENS, "fixed in 1.1", "https://github.com/o/x/pull/9")]


@pytest.mark.parametrize("change", [
    dict(trainer="x==1.1"),  # another release than the finding was read at
    dict(configuration="eot_tokens"),  # the defect is declared for the defaults only
    dict(template="llama-3.1-instruct"),  # nor on this template
])
def test_a_class_outside_what_a_finding_declares_is_unexplained(change):
    result = classify(cell(STOP, **change), FINDINGS, adapter="x")
    assert labels(result) == [(STOP, ORDINARY, f"unexplained: {STOP}", "")]
    assert result.cell == f"ordinary: unexplained: {STOP}"


def test_another_adapter_s_finding_explains_nothing():
    assert labels(classify(cell(STOP), FINDINGS, adapter="y")) == [(STOP, ORDINARY, f"unexplained: {STOP}", "")]


def test_a_finding_that_needs_control_tokens_does_not_explain_the_class_on_ordinary_data():
    assert labels(classify(cell(USER), FINDINGS, adapter="x")) == [(USER, ORDINARY, f"unexplained: {USER}", "")]


def test_two_findings_of_one_class_both_show_and_cells_without_failures_are_left_alone():
    second = dataclasses.replace(BASE, slug="x-stop-too")
    assert [v.slug for v in classify(cell(STOP), [BASE, second], adapter="x").verdicts] == ["x-stop", "x-stop-too"]
    passed = CellResult("x==1.0", "qwen3", "pass")
    assert classify(passed, FINDINGS, adapter="x") is passed


def test_verdicts_survive_the_json_round_trip():
    result = classify(cell(STOP, USER, control_only=(USER,)), FINDINGS, adapter="x")
    assert CellResult.from_json(result.to_json()) == result


def test_a_control_only_class_is_explained_by_the_control_token_finding_rather_than_an_ordinary_one():
    ordinary = dataclasses.replace(BASE, slug="x-ordinary", classes=(USER,))
    both = [ordinary, FINDINGS[2]]
    assert [v.slug for v in classify(cell(USER, control_only=(USER,)), both, adapter="x").verdicts] == ["x-quoted"]
    assert [v.slug for v in classify(cell(USER), both, adapter="x").verdicts] == ["x-ordinary"]
    assert [v.slug for v in classify(cell(USER, control_only=(USER,)), [ordinary], adapter="x").verdicts] == [
        "x-ordinary"]
