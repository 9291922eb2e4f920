"""The dataset audit on rows planted to fail in data-dependent ways among clean rows: each planted row is reported
in its class, no clean row is; the same verdicts in one process and in two; the pytest fixture."""

from __future__ import annotations

import json

import pytest

from harness.audit.dataset import AuditSettings, audit_dataset, audit_rows
from harness.audit.dataset_rows import rows_from
from harness.audit.pipelines import spec_for
from tests.audit.rows import clean, planted
from tests.report_maskers import correct

pytest_plugins = ["pytester"]
TEMPLATE = "qwen2.5-instruct"
MAX_LENGTH = 400


def _dataset():
    planted_rows = planted()
    records = [clean(k) for k in range(4)]
    for k, row in enumerate(planted_rows.values()):
        records.insert(2 * k + 1, row)
    return records, planted_rows


def test_every_planted_row_is_reported_in_its_class_and_no_clean_row(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(TEMPLATE)
    records, planted_rows = _dataset()
    audit = audit_rows(rows_from(records), tokenizer, correct(tokenizer), max_length=MAX_LENGTH)
    reported = {v.id: sorted(v.classes) for v in audit.verdicts if not v.right}
    assert reported == {row["id"]: [key] for key, row in planted_rows.items()}, reported
    assert not audit.unjudged() and audit.right == 4 and not audit.passed


def test_the_truncating_pipeline_is_caught_on_the_long_row_only(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(TEMPLATE)
    records = [clean(0), planted()["cut_at_max_length"], clean(1)]
    settings = AuditSettings(TEMPLATE, spec_for("tests.report_maskers:correct_cut", {"max_length": MAX_LENGTH}),
                             MAX_LENGTH)
    audit = audit_dataset(rows_from(records), settings)
    reported = {v.id: sorted(v.classes) for v in audit.verdicts if not v.right}
    assert reported == {"planted-long-answer": ["cut_at_max_length", "input_ids_match_rendering[truncated]"]}
    (summary,) = [c for c in audit.classes() if c.key == "input_ids_match_rendering[truncated]"]
    assert summary.rows == ["planted-long-answer"]


def test_two_worker_processes_give_the_verdicts_of_one(load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    records, _ = _dataset()
    settings = AuditSettings(TEMPLATE, spec_for("tests.report_maskers:correct"), MAX_LENGTH)
    from harness.adapters.transformers import held_template_clock

    one = audit_dataset(rows_from(records), settings)
    assert held_template_clock() is None  # the audit held the templates' clock for its rows only
    two = audit_dataset(rows_from(records), settings, jobs=2)
    assert held_template_clock() is None
    assert [v.to_json() for v in two.verdicts] == [v.to_json() for v in one.verdicts]
    assert json.dumps(one.to_json()["classes"]) == json.dumps(two.to_json()["classes"])


def test_a_row_the_template_raises_on_and_an_unconvertible_row_are_reported_not_skipped(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(TEMPLATE)
    tokenizer.chat_template = ("{% for m in messages %}{% if m['role'] == 'tool' %}"
                               "{{ raise_exception('no tool messages') }}{% endif %}{{ m['content'] }}{% endfor %}")
    rows = rows_from([clean(0), {"text": "plain"}])
    audit = audit_rows(rows, tokenizer, None)
    assert list(audit.verdicts[0].classes) == ["template_raises[TemplateError]"]
    assert "no tool messages" in audit.verdicts[0].classes["template_raises[TemplateError]"]["detail"]
    assert audit.verdicts[1].unjudged.startswith("not converted: neither 'messages'")


def test_the_fixture_fails_with_the_table_and_passes_on_clean_rows(pytester, monkeypatch, load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    pytester.makepyfile(test_data=f"""
        import json
        from harness.testing import reference
        from tests.audit.rows import clean, planted

        def test_clean(dataset_audit):
            masker = lambda tok: reference.correct_masker(tok, "<|im_end|>")
            from harness.adapters.transformers import load_tokenizer
            tok = load_tokenizer("{TEMPLATE}")
            audit = dataset_audit([clean(0), clean(1)], masker(tok), tok)
            assert audit.rows == 2 and audit.passed

        def test_planted(dataset_audit):
            from harness.adapters.transformers import load_tokenizer
            tok = load_tokenizer("{TEMPLATE}")
            dataset_audit([clean(0), planted()["arguments_written_as_string"]],
                          reference.correct_masker(tok, "<|im_end|>"), tok, sample=2, seed=1)
    """)
    import os
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = pytester.runpytest_subprocess("-p", "harness.pytest_plugin", "-p", "no:harness", "-q",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*arguments_written_as_string*1*planted-string-arguments*"])


def test_a_row_that_ends_with_a_call_is_not_missing_its_result(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(TEMPLATE)
    row = clean(7)
    row["messages"] = row["messages"][:3]  # user asks, the assistant calls: the row ends there
    audit = audit_rows(rows_from([row]), tokenizer, correct(tokenizer))
    assert audit.passed, audit.verdicts[0].classes
