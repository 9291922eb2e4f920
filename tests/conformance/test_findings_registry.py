"""docs/findings/ against the registry (harness/adapters/*/findings.toml): every report has an entry, its sections
and its cited links; every reproduction exists, is self-contained and names its pip line; the index is current.
Nightly: every reproduction still shows the tokens its report names, in its trainer's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.conformance.findings_index import index_markdown, report_problems
from harness.conformance.known import load_findings, parse_findings

FINDINGS_DIR = Path(__file__).resolve().parents[2] / "docs" / "findings"
INDEX = FINDINGS_DIR / "README.md"


def test_every_report_and_reproduction_matches_the_registry():
    problems = report_problems(load_findings(), FINDINGS_DIR)
    assert not problems, "\n".join(problems)


def test_the_index_is_generated_from_the_registry():
    assert INDEX.read_text(encoding="utf-8") == index_markdown(load_findings()), (
        "docs/findings/README.md is stale: python -m harness findings --index docs/findings/README.md")


ENTRY = """
[[finding]]
slug = "x-thing"
title = "a thing"
trainer = "x"
version = "1.0"
kind = "defect"
upstream_status = "searched: none"
configurations = ["defaults"]
templates = ["qwen2.5-instruct"]
classes = ["stop_token_trained[stop token]"]
content_control_tokens = false
report = true
reproduction = "x-thing.py"
requirements = ["x==1.0"]
tokenizer = "qwen2.5-instruct"
expect = ["REPRODUCED:"]
"""


def _report(slug: str, sections: list[str], body: str = "") -> str:
    return f"# x: a thing\n\n" + "".join(f"\n{s}\n\ntext {body}\n" for s in sections)


def test_a_report_without_a_section_or_with_an_orphan_is_named(tmp_path):
    from harness.conformance.findings_index import REPORT_SECTIONS

    (finding,) = parse_findings(ENTRY, source="x/findings.toml", adapter="x")
    (tmp_path / "repro").mkdir()
    (tmp_path / "repro" / "x-thing.py").write_text('"""pip install x==1.0"""\nimport x\n')
    (tmp_path / "x-thing.md").write_text(_report("x-thing", list(REPORT_SECTIONS), "x-thing.py"))
    assert report_problems([finding], tmp_path) == []
    (tmp_path / "x-thing.md").write_text(_report("x-thing", list(REPORT_SECTIONS[:2]), "x-thing.py"))
    (tmp_path / "orphan.md").write_text("# y\n")
    (tmp_path / "repro" / "x-thing.py").write_text('"""pip install x==1.0"""\nfrom harness import check_masker\n')
    problems = "\n".join(report_problems([finding], tmp_path))
    assert "missing sections ['## Mechanism'" in problems and "orphan.md: no registry entry" in problems
    assert "imports the harness" in problems


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(f.slug for f in load_findings() if f.reproduction))
def test_the_reproduction_still_shows_what_the_report_names(slug):
    from harness.conformance.reproductions import TokenizerMissing, run_reproduction

    (finding,) = [f for f in load_findings() if f.slug == slug]
    try:
        outcome = run_reproduction(finding, FINDINGS_DIR, log=lambda line: None)
    except TokenizerMissing as error:
        pytest.skip(str(error))
    assert outcome.reproduced, outcome.describe()
