"""Data files are found through $HARNESS_DATA_DIR first, then ../shared/data; missing ones give a
skip reason that names the setting."""

from __future__ import annotations

from harness.assets.data import ENV_VAR, find_data_file, missing_reason, search_roots


def test_setting_comes_first_and_is_used(tmp_path, monkeypatch):
    (tmp_path / "x.jsonl").write_text("{}\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert search_roots()[0] == tmp_path
    assert find_data_file("x.jsonl") == tmp_path / "x.jsonl"


def test_missing_file_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert find_data_file("nope.jsonl") is None
    reason = missing_reason("nope.jsonl")
    assert ENV_VAR in reason and str(tmp_path) in reason


def test_import_harness_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, harness, harness.assets.data, harness.evaluation.hellaswag, harness.evaluation.gsm8k, "
            "harness.evaluation.sampling_probe, harness.evaluation.chat_server, harness.adapters.verifiers; "
            "assert 'torch' not in sys.modules and 'verifiers' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
