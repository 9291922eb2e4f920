"""``python -m harness audit``: exit status 0 / 1 / 2, the failing rows, the summary and the page."""

from __future__ import annotations

import json

import pytest

from harness.cli import main
from tests.audit.rows import clean, planted

TEMPLATE = "qwen2.5-instruct"


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_failing_rows_are_written_with_their_classes_and_replay(tmp_path, capsys, load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    bad = planted()["arguments_written_as_string"]
    data = _write(tmp_path / "d.jsonl", [clean(0), bad, {"text": "x"}])
    code = main(["audit", data, "--tokenizer", TEMPLATE, "--pipeline", "tests.report_maskers:correct",
                 "--out", str(tmp_path / "out"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "3 rows, 1 trained right, 2 not (FAILED)" in out and "arguments_written_as_string" in out
    failing = [json.loads(line) for line in (tmp_path / "out" / "failing_rows.jsonl").read_text().splitlines()]
    assert [(f["id"], f["classes"]) for f in failing] == [(bad["id"], ["arguments_written_as_string"]), ("2", [])]
    assert "not converted" in failing[1]["unjudged"]
    assert failing[0]["replay"].startswith(f"python -m harness inspect --tokenizer {TEMPLATE} ")
    replay = json.loads((tmp_path / "out" / "replays" / "row-1.json").read_text())
    assert replay["messages"] == bad["messages"] and replay["clock"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["classes"][0]["class"] == "arguments_written_as_string" and summary["classes"][0]["rows"] == 1
    page = (tmp_path / "out" / "audit.html").read_text()
    assert "id='arguments-written-as-string'" in page and "examples/arguments-written-as-string.html" in page


def test_a_clean_dataset_exits_0(tmp_path, capsys, load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    data = _write(tmp_path / "d.jsonl", [clean(0), clean(1)])
    assert main(["audit", data, "--tokenizer", TEMPLATE, "--pipeline", "tests.report_maskers:correct",
                 "--out", str(tmp_path / "out"), "--quiet", "--no-examples"]) == 0
    assert "2 rows, 2 trained right, 0 not (PASSED)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["missing.jsonl", "--pipeline", "none"], "missing.jsonl: no such file"),
    (["DATA", "--pipeline", "nonsense"], "not a known pipeline"),
    (["DATA", "--pipeline", "no_such_module:factory"], "no module named 'no_such_module'"),
    (["DATA", "--pipeline", "tests.report_maskers:correct", "--option", "novalue"], "expected KEY=VALUE"),
    (["DATA", "--pipeline", "tests.report_maskers:correct", "--option", "unknown=1"], "unexpected keyword"),
    (["DATA", "--pipeline", "trl-sft", "--config", "x"], "only a trainer pipeline"),
    (["DATA", "--pipeline", "none", "-j", "0"], "-j 0: at least 1"),
])
def test_bad_input_exits_2_naming_it(tmp_path, capsys, argv, message, load_tokenizer_or_skip):
    load_tokenizer_or_skip(TEMPLATE)
    data = _write(tmp_path / "d.jsonl", [clean(0)])
    argv = [data if a == "DATA" else a for a in argv]
    assert main(["audit", *argv, "--tokenizer", TEMPLATE, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert message in capsys.readouterr().err
