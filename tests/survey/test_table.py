"""The survey table (harness/survey/table.py)."""

from __future__ import annotations

from harness.survey import survey_table


def test_an_error_row_keeps_the_table_shape():
    from harness.survey.rows import SurveyRow

    table = survey_table([SurveyRow("x", vocabulary="x", error="not loaded: nope")])
    header, rule, row = table.splitlines()[:3]
    assert header.count("|") == rule.count("|") == row.count("|")
