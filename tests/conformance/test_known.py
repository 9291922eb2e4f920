"""The findings registry (``harness/adapters/<trainer>/findings.toml``): read and validated, a bad entry refused
naming its file, the entry and what is wrong; and the registry as checked in agrees with the adapters."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from harness.conformance.known import FindingsError, findings_files, load_findings, parse_findings
from harness.conformance.trainers import configurations_of

ENTRY = '''
[[finding]]
slug = "x-stop-trained-twice"
title = "the stop token is trained twice"
trainer = "x"
version = "1.0"
kind = "defect"
upstream = []
upstream_status = "searched 2026-12-07: no issue or PR"
option = ""
configurations = ["defaults"]
templates = ["qwen2.5-instruct"]
classes = ["stop_token_trained[stop token]"]
content_control_tokens = false
report = true
reproduction = "x-stop-trained-twice.py"
requirements = ["x==1.0"]
tokenizer = "qwen2.5-instruct"
expect = ["REPRODUCED:"]
'''


def test_a_valid_entry_is_read_with_its_adapter_and_source():
    (finding,) = parse_findings(ENTRY, source="x/findings.toml", adapter="x")
    assert (finding.slug, finding.kind, finding.adapter, finding.source) == (
        "x-stop-trained-twice", "defect", "x", "x/findings.toml")
    assert finding.classes == ("stop_token_trained[stop token]",) and finding.report_path == (
        "docs/findings/x-stop-trained-twice.md")


@pytest.mark.parametrize("change, message", [
    (('kind = "defect"', 'kind = "bug"'), r"kind must be one of \['defect', 'convention'"),
    (('report = true', 'report = false'), "kind 'defect' has a report"),
    (('kind = "defect"', 'kind = "known-upstream"'), "cites at least one upstream issue"),
    (('upstream = []', 'upstream = ["https://github.com/o/r/issues/x"]'), "upstream entries must be https://github"),
    (('kind = "defect"', 'kind = "fixed-upstream"\nfixed_in = ""'), "cites the fixing pull request"),
    (('kind = "defect"', 'kind = "convention"'), "names the documented option"),
    (('report = true', 'report = "yes"'), "report must be true or false"),
    (('templates = ["qwen2.5-instruct"]', 'templates = "qwen2.5-instruct"'), "templates must be a list"),
    (('templates = ["qwen2.5-instruct"]', 'templates = []'), "names the configurations and templates it shows on"),
    (('title = "the stop token is trained twice"', 'titel = "typo"'), r"unknown keys \['titel'\]"),
    (('content_control_tokens = false', ''), r"missing keys \['content_control_tokens'\]"),
    (('slug = "x-stop-trained-twice"', 'slug = "X Stop"'), "slug must be lower-case words"),
])
def test_a_bad_entry_is_refused_naming_the_file_the_entry_and_what_is_wrong(change, message):
    old, new = change
    assert old in ENTRY
    with pytest.raises(FindingsError, match=message) as caught:
        parse_findings(ENTRY + ENTRY.replace(old, new).replace("x-stop-trained-twice", "x-second", 1),
                       source="harness/adapters/x/findings.toml")
    assert str(caught.value).startswith("harness/adapters/x/findings.toml: finding 2")


def test_a_file_that_is_not_toml_or_not_findings_is_refused():
    with pytest.raises(FindingsError, match="x.toml: not valid TOML"):
        parse_findings("[[finding]\n", source="x.toml")
    with pytest.raises(FindingsError, match=r"x.toml: unknown top-level keys \['findings'\]"):
        parse_findings("[[findings]]\nslug = 'a'\n", source="x.toml")


def test_the_files_are_found_per_adapter_and_a_slug_declared_twice_is_refused(tmp_path):
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "findings.toml").write_text(ENTRY)
    (tmp_path / "gamma").mkdir()  # an adapter without findings
    assert list(findings_files(tmp_path)) == ["alpha", "beta"]
    assert [f.adapter for f in load_findings("beta", adapters_dir=tmp_path)] == ["beta"]
    assert load_findings("gamma", adapters_dir=tmp_path) == []
    with pytest.raises(FindingsError, match="slug 'x-stop-trained-twice' is declared twice"):
        load_findings(adapters_dir=tmp_path)


# The registry as checked in: what the conformance table explains its failures with.

def _adapter_module(folder: str):
    """The conformance table's adapter of that folder (None for trl, renderers: no row of the table)."""
    from harness.conformance.trainers import ADAPTERS

    module = ADAPTERS.get(folder)
    return importlib.import_module(module) if module else None


def test_the_registry_loads():
    load_findings()  # raises FindingsError naming the file and entry otherwise


@pytest.mark.parametrize("folder", sorted(findings_files()))
def test_each_finding_agrees_with_its_adapter_and_has_its_report(folder):
    adapter = _adapter_module(folder)
    root = Path(__file__).resolve().parents[2]
    for finding in load_findings(folder):
        if finding.report:
            assert (root / finding.report_path).is_file(), f"{finding.source}: {finding.slug}: no {finding.report_path}"
        environment = getattr(adapter, "ENVIRONMENT", None)
        if environment is None or not finding.classes:  # no conformance row to explain
            continue
        assert (finding.trainer, finding.version) == (environment.trainer, environment.release), (
            f"{finding.source}: {finding.slug}: read at {finding.trainer}=={finding.version}, but the adapter runs "
            f"{environment.label}: the table would not explain its classes")
        names = {c.name for c in configurations_of(adapter)}
        assert set(finding.configurations) <= names, (
            f"{finding.source}: {finding.slug}: configurations {sorted(set(finding.configurations) - names)} are not "
            f"in the adapter's CONFIGURATIONS {sorted(names)}")
