"""The public types: the Literals name every value the code produces or accepts; Masker is a Protocol; py.typed
is shipped."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness
from harness import types
from harness.masking.policy import Policy
from harness.masking.properties import PROPERTIES

ROOT = Path(__file__).resolve().parent.parent


def test_failure_property_literal_names_every_property():
    produced = {prop.__name__ for prop in PROPERTIES} | {"input_ids_match_rendering", "masker_raised", "output_format"}
    assert produced <= set(types.FAILURE_PROPERTIES)


def test_turns_literal_is_what_policy_accepts():
    for turns in types.TURNS:
        assert Policy(turns=turns).turns == turns
    with pytest.raises(ValueError):
        Policy(turns="first")


def test_hazard_kind_literal_names_every_kind_the_library_writes():
    import re

    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "harness").rglob("*.py"))
    written = set(re.findall(r'Hazard\(\s*"([a-z_]+)"', source)) | set(re.findall(r'kind="([a-z_]+)"', source))
    assert written and written <= set(types.HAZARD_KINDS)
    assert {"history_rewrite", "straddle", "control_string", "no_stop_token", "resegmented", "padded"} <= written


def test_masker_protocol_and_exports():
    def masker(messages, tools):
        return {"input_ids": [], "labels": []}

    assert isinstance(masker, harness.Masker) and not isinstance(42, harness.Masker)
    assert {"strategies", "Masker", "golden_table", "MaskAuditCallback", "write_report"} <= set(harness.__all__)
    assert harness.strategies.conversations_for is not None


def test_py_typed_is_shipped():
    assert (ROOT / "harness" / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    import re

    assert re.search(r'\[tool\.setuptools\.package-data\]\n(#.*\n)*harness = \[[^\]]*"py\.typed"', pyproject)
