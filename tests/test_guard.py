"""python -m harness guard: version sets (TOML, command line), environment planning, JUnit outcomes, the table and
golden row differences. Building environments and running the sets is manual/nightly (see the README)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys

import pytest

from harness.guard import environments, report, results, versions
from harness.guard.versions import VersionSet, VersionSetError


def test_default_sets_file_ships_the_issue_sets():
    sets = versions.load_sets(versions.DEFAULT_SETS_FILE)
    assert [s.name for s in sets] == ["installed", "latest", "transformers-5.23", "trl-1.14.2", "floors"]
    assert sets[0].requirements == ()  # the running environment as installed: no pins to maintain
    assert sets[1].requirements == ("trl", "transformers")  # the newest releases allowed
    assert sets[2].pinned("transformers") == "transformers==5.23.0"
    assert (sets[3].pinned("trl"), sets[3].pinned("transformers")) == ("trl==1.14.2", "transformers==5.20.2")
    assert sets[4].name == "floors" and sets[4].pinned("trl") and sets[4].pinned("transformers")


def test_toml_errors_are_named(tmp_path):
    bad = tmp_path / "sets.toml"
    bad.write_text('[[set]]\nname = "x"\nrequirements = "trl==1.0"\n')
    with pytest.raises(VersionSetError, match="'requirements' must be a list"):
        versions.load_sets(bad)
    bad.write_text('[[set]]\nname = "a"\nrequirements = ["trl==1.10.0"]\n[[set]]\nname = "a"\nrequirements = ["trl==1.14.2"]\n')
    with pytest.raises(VersionSetError, match="repeat"):
        versions.load_sets(bad)


def test_command_line_spec():
    spec = versions.parse_set_spec("old: trl==1.14.2, transformers==5.20.2")
    assert spec == VersionSet("old", ("trl==1.14.2", "transformers==5.20.2"))
    assert versions.parse_set_spec("transformers==5.23.0").name == "transformers==5.23.0"


def test_renderers_and_torch_cannot_vary():
    with pytest.raises(VersionSetError, match="verifiers >= 0.4 pins renderers >= 0.1.12"):
        versions.parse_set_spec("renderers==0.1.10")
    running = importlib.metadata.version("torch").split("+")[0]
    with pytest.raises(VersionSetError, match=rf"torch stays the running environment's \({re.escape(running)}\)"):
        versions.parse_set_spec("torch==2.12.0")
    assert versions.parse_set_spec(f"torch=={running}").requirements == (f"torch=={running}",)
    assert versions.parse_set_spec("renderers==0.1.12").requirements == ("renderers==0.1.12",)


def test_only_differing_packages_are_installed_never_torch():
    resolved = environments.parse_pins("trl==1.14.2\n    # via -r requirements.in\ntorch==2.13.0\nnvidia-cublas==13.0\n"
                                       "transformers==5.20.2\nhuggingface-hub==1.33.0\nrich==15.0.0\n")
    base = {"trl": "1.16.0", "torch": "2.13.0+cpu", "transformers": "5.24.0", "huggingface-hub": "1.33.0",
            "rich": "15.0.0"}
    assert environments.packages_to_install(resolved, base) == ["transformers==5.20.2", "trl==1.14.2"]


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_golden" name="test_golden_token_table[qwen3]"/>
<testcase classname="tests.adapters.test_trl" name="test_a"><failure message="AssertionError: x">...</failure></testcase>
<testcase classname="tests.adapters.test_trl" name="test_b"><failure message="[XPASS(strict)] trl bug: ...">x</failure></testcase>
<testcase classname="tests.adapters.test_trl" name="test_c"><skipped type="pytest.xfail" message="trl bug"/></testcase>
<testcase classname="tests.adapters.test_trl" name="test_d"><skipped type="pytest.skip" message="no tokenizer"/></testcase>
<testcase classname="tests.test_x.TestThing" name="test_e"><error message="fixture"/></testcase>
</testsuite></testsuites>"""


def test_junit_outcomes(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    assert results.parse_junit(path) == {
        "tests/test_golden.py::test_golden_token_table[qwen3]": "pass",
        "tests/adapters/test_trl.py::test_a": "FAIL",
        "tests/adapters/test_trl.py::test_b": "XPASS",
        "tests/adapters/test_trl.py::test_c": "xfail",
        "tests/adapters/test_trl.py::test_d": "skip",
        "tests/test_x.py::TestThing::test_e": "ERROR",
    }


def test_table_shows_sets_as_columns_and_only_changed_rows():
    outcomes = {"new": {"t::a": "pass", "t::b": "pass", "t::c": "xfail"},
                "old": {"t::a": "pass", "t::b": "FAIL", "t::c": "XPASS"}}
    table = report.render_table(["new", "old"], outcomes, changed_only=True)
    lines = table.splitlines()
    assert lines[0].split() == ["test", "new", "old"]
    assert lines[1].split() == ["t::b", "pass", "FAIL"] and lines[2].split() == ["t::c", "xfail", "XPASS"]
    assert "t::a" not in table and "1 test(s) with the same outcome" in table
    assert "old: 1 FAIL, 1 XPASS, 1 pass" in table


def test_golden_differences_are_token_rows(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    rows = ["# t", "", "## single-turn", "  idx id role exp sft token", "    0 1 user ✗ ✗ hi", "    1 2 assistant ✓ ✓ yo"]
    (tmp_path / "a" / "t.txt").write_text("\n".join(rows))
    rows[5] = "    1 2 assistant ✓ ✗ yo"
    (tmp_path / "b" / "t.txt").write_text("\n".join(rows))
    ((name, diff),) = report.golden_differences(tmp_path / "a", tmp_path / "b")
    assert name == "t.txt"
    assert diff.splitlines() == ["@@ line 6: ## single-turn", "-     1 2 assistant ✓ ✓ yo", "+     1 2 assistant ✓ ✗ yo"]


def test_cli_refuses_an_unbuildable_set_before_building_anything(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness", "guard", "--set", "renderers==0.1.5",
                             "--cache-dir", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2 and "pins renderers >= 0.1.12" in result.stderr
    assert not any(tmp_path.iterdir())


def _args(tmp_path, *argv):
    import argparse

    from harness.guard import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args([*argv, "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out")])


def test_a_set_alone_is_compared_with_what_is_installed(tmp_path):
    from harness.guard import chosen_sets

    sets = chosen_sets(_args(tmp_path, "--set", "next: trl==9.0 transformers==9.1"))
    assert sets == [VersionSet("installed", ()), VersionSet("next", ("trl==9.0", "transformers==9.1"))]


def test_the_harness_runs_its_cpu_tier_a_host_repository_all_its_tests(tmp_path):
    from pathlib import Path

    from harness.guard import default_marker

    assert default_marker(Path(__file__).resolve().parents[1]) == "cpu"
    assert default_marker(tmp_path) is None
    command = results.pytest_command(Path("py"), marker=None, keyword=None, junit=tmp_path / "j.xml", extra=[])
    assert command[:3] == ["py", "-m", "pytest"] and "-m" not in command[3:]


def test_a_set_resolving_to_the_installed_versions_is_reported_identical_and_not_run(tmp_path, monkeypatch):
    import harness.guard as guard
    from pathlib import Path

    running = {"trl": "1.16.0", "transformers": "5.25.0"}
    built = {"installed": environments.Environment("installed", Path(sys.executable), (), running),
             "latest": environments.Environment("latest", Path(sys.executable), (), running),
             "old": environments.Environment("old", Path("/envs/old/python"), ("transformers==5.23.0",),
                                             {"trl": "1.16.0", "transformers": "5.23.0"}, Path("/envs/old"))}
    ran = []

    def fake_pytest(python, repo, folder, **kwargs):
        ran.append(folder.name)
        folder.mkdir(parents=True, exist_ok=True)
        outcome = "<failure message='x'/>" if folder.name == "old" else ""
        (folder / "junit.xml").write_text(f"<testsuite><testcase classname='tests.t' name='a'>{outcome}</testcase>"
                                          "</testsuite>")
        return 0, folder / "junit.xml"

    monkeypatch.setattr(environments, "build_environment", lambda s, *a, **k: built[s.name])
    monkeypatch.setattr(results, "run_pytest", fake_pytest)
    sets = tmp_path / "sets.toml"
    sets.write_text('[[set]]\nname = "installed"\nrequirements = []\n[[set]]\nname = "latest"\nrequirements = '
                    '["trl", "transformers"]\n[[set]]\nname = "old"\nrequirements = ["transformers==5.23.0"]\n')
    lines = []
    code = guard.run(_args(tmp_path, "--sets", str(sets)), out=lines.append)
    text = "\n".join(lines)
    assert ran == ["installed", "old"] and code == 1
    assert "[latest] resolved to trl==1.16.0 transformers==5.25.0: identical to 'installed', not run again" in text
    assert "[old] resolved to trl==1.16.0 transformers==5.23.0 (installs transformers==5.23.0)" in text
    assert "latest (= installed)" in text and "tests/t.py::a  pass       FAIL" in text


def test_the_floors_set_is_the_lowest_trl_and_transformers_pyproject_allows():
    """The declared lower bounds are what the guard's ``floors`` set runs the suite with, so they stay true."""
    import re
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    bounds = {}
    for requirement in pyproject["project"]["dependencies"]:
        match = re.fullmatch(r"(trl|transformers)>=([0-9.]+)", requirement)
        if match:
            bounds[match.group(1)] = match.group(2)
    floors = {s.name: s for s in versions.load_sets(versions.DEFAULT_SETS_FILE)}["floors"]
    assert set(bounds) == {"trl", "transformers"}
    for package, lowest in bounds.items():
        pinned = floors.pinned(package).split("==")[1]
        assert tuple(map(int, pinned.split("."))) == tuple(map(int, (lowest + ".0.0").split(".")[:3])), (package, pinned)
