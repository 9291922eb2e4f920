"""The loss table: rows declared by adapters, run by ``harness.loss.runner``, one column per property."""

import pytest

from harness.loss.configurations import LossConfiguration
from harness.loss.table import PROPERTIES, LossCell, markdown, parse_lines, property_of


def test_every_failure_key_of_the_check_belongs_to_one_property():
    from harness.loss.check import _RANK

    assert {property_of(key) for key in _RANK} == set(PROPERTIES)
    with pytest.raises(ValueError, match="no property"):
        property_of("stop_token_trained[stop token]")


def test_a_cell_reads_per_property_and_round_trips():
    cell = LossCell("trl==1.16.0", "packing=bfd", "token", "fail", failures=("cross_row_attention",), steps=3,
                    packed_steps=2, isolated_steps=2)
    assert [cell.column(p) for p in PROPERTIES] == ["pass", "pass", "pass", "FAIL: cross_row_attention"]
    unpacked = LossCell("trl==1.16.0", "defaults", "token", "pass", steps=3)
    assert unpacked.column("isolation") == "n/a"
    from harness.conformance.known import load_findings

    finding = next(f for f in load_findings() if f.report and f.kind == "defect")
    known = LossCell("verl==0.9.1", "x", "token", "fail", failures=("token_weight[unequal]",), known=(finding.slug,))
    assert known.column("weight") == "known: token_weight[unequal]"
    assert f"defect: token_weight[unequal] ([{finding.slug}](docs/findings/{finding.slug}.md))" in markdown([known])
    assert parse_lines("noise\n" + cell.to_line() + "\nmore noise") == [cell]


def test_bad_rows_are_clear_errors():
    with pytest.raises(ValueError, match="module:function"):
        LossConfiguration("x", "no_colon", "token", "doc")
    with pytest.raises(ValueError, match="normalization"):
        LossConfiguration("x", "m:f", "per-row", "doc")
    with pytest.raises(ValueError, match="length"):
        LossConfiguration("x", "m:f", "fixed_length", "doc")
    with pytest.raises(ValueError, match="documents"):
        LossConfiguration("x", "m:f", "token", " ")
    with pytest.raises(ValueError, match="JSON"):
        LossConfiguration("x", "m:f", "token", "doc", options={"a": object()})


def test_the_runner_gives_each_row_its_cell(qwen, capsys):
    from harness.loss.runner import main

    assert main(["--adapter", "tests.loss.loss_rows", "--trainer", "stand-in==1", "-n", "1"]) == 0
    cells = {c.configuration: c for c in parse_lines(capsys.readouterr().out)}
    assert cells["reference"].status == "pass" and cells["reference"].steps == 1
    assert cells["mask ignored"].status == "fail" and cells["mask ignored"].failures == ("mask_ignored",)
    assert cells["needs a GPU"].status == "n/a" and cells["needs a GPU"].reason == "needs CUDA"
    assert cells["broken"].status == "error" and "cannot build its step" in cells["broken"].reason


def test_the_adapters_rows_are_valid():
    import importlib

    from harness.conformance.known import load_findings
    from harness.loss.runner import loss_configurations
    from harness.loss.table_cli import loss_adapters

    findings = {f.slug: f for f in load_findings()}

    declared = [name for name, module in loss_adapters().items()
                if getattr(importlib.import_module(module), "LOSS_CONFIGURATIONS", None) is not None]
    assert {"trl", "transformers"} <= set(declared)
    for name in declared:
        rows = loss_configurations(importlib.import_module(loss_adapters()[name]))
        for row in rows:
            importlib.import_module(row.step.partition(":")[0])  # the factory's module imports without its trainer
            assert set(row.known) <= set(findings), f"{name} {row.name}: known findings not in the registry"
            for slug in row.known:  # each finding names the rows it shows on and the classes it shows there
                assert row.name in findings[slug].loss_configurations and findings[slug].loss_classes, \
                    f"{slug}: loss_configurations must name {name}'s row {row.name!r}, with its loss_classes"


def test_each_findings_loss_rows_are_rows_of_its_adapter():
    import importlib

    from harness.conformance.known import load_findings
    from harness.loss.table_cli import loss_adapters

    adapters = loss_adapters()
    for finding in load_findings():
        if finding.loss_configurations:
            rows = {row.name: row for row in importlib.import_module(adapters[finding.adapter]).LOSS_CONFIGURATIONS}
            for name in finding.loss_configurations:
                assert name in rows, f"{finding.slug}: {finding.adapter} has no loss row {name!r}"
                assert finding.slug in rows[name].known, f"{finding.slug}: row {name!r} does not name it in known"
