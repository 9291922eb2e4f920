"""``python -m harness conformance``: arguments refused with a clear message before anything is built."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.conformance.trainers import TrainerSelectionError, default_templates, select_trainers


def test_an_unknown_trainer_is_refused_naming_the_known_ones(capsys):
    assert main(["conformance", "--trainer", "megatron"]) == 2
    assert "no adapter for 'megatron'; known: ['axolotl'" in capsys.readouterr().err


def test_a_release_no_adapter_runs_is_refused(capsys):
    assert main(["conformance", "--trainer", "axolotl==0.20.0"]) == 2
    assert "the adapter runs axolotl==0.21.0, not release 0.20.0" in capsys.readouterr().err


def test_a_non_positive_example_count_is_refused(capsys):
    assert main(["conformance", "-n", "0"]) == 2
    assert "-n must be a positive number" in capsys.readouterr().err


def test_trainers_are_selected_by_name_or_release():
    chosen = select_trainers(["axolotl", "openrlhf==0.11.2"])
    assert [t.label for t in chosen] == ["axolotl==0.21.0", "openrlhf==0.11.2"]
    with pytest.raises(TrainerSelectionError, match="no adapter for 'nope'"):
        select_trainers(["nope"])


def test_the_default_templates_are_the_tokenizer_registry():
    from harness.assets.tokenizers import KNOWN_HUB_IDS

    assert set(KNOWN_HUB_IDS) <= set(default_templates())


def test_the_readme_table_is_replaced_between_its_markers():
    from harness.conformance.cli import replace_table

    text = "intro\n<!-- conformance-table -->\n| old |\n<!-- /conformance-table -->\nrest\n"
    assert replace_table(text, "| new |\n") == (
        "intro\n<!-- conformance-table -->\n| new |\n<!-- /conformance-table -->\nrest\n")
    with pytest.raises(ValueError, match="no <!-- conformance-table --> ... <!-- /conformance-table --> lines"):
        replace_table("no markers", "| new |")


def test_a_readme_without_the_markers_is_refused_before_anything_runs(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("no table here\n")
    assert main(["conformance", "--trainer", "axolotl", "--readme", str(readme)]) == 2
    assert f"--readme {readme}: no <!-- conformance-table -->" in capsys.readouterr().err


def test_a_configuration_no_selected_trainer_has_is_refused(capsys):
    assert main(["conformance", "--trainer", "axolotl", "--configuration", "turbo"]) == 2
    assert "--configuration 'turbo': no selected trainer has it; they have ['defaults'" in capsys.readouterr().err


def test_a_broken_findings_registry_is_refused_before_anything_runs(monkeypatch, capsys):
    from harness.conformance import known

    def broken():
        raise known.FindingsError("harness/adapters/axolotl/findings.toml: finding 2 ('x'): missing keys ['kind']")

    monkeypatch.setattr(known, "load_findings", broken)
    assert main(["conformance", "--trainer", "axolotl"]) == 2
    assert "findings registry: harness/adapters/axolotl/findings.toml: finding 2 ('x')" in capsys.readouterr().err
