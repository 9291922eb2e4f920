"""The ``golden_tokens`` fixture in a user's project: ``--snapshot-update`` writes the token table to the
project's own ``golden/`` folder; the next run passes; a pipeline whose boundary moved fails with the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.assets.tokenizers import ENV_VAR, find_tokenizer

pytest_plugins = ["pytester"]

USER_TEST = """
import harness
from my_masking import build_masker

MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]


def test_my_pipeline_boundaries(golden_tokens, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    masker = build_masker(tokenizer, forget_end_of_turn=FORGET)
    assert harness.golden_table(tokenizer, MESSAGES, masker=masker) == golden_tokens
"""


@pytest.fixture(scope="module")
def loaded_before_pytester(load_tokenizer_or_skip):
    """The tokenizer, loaded before ``pytester`` snapshots ``sys.modules``: at teardown it drops every module imported
    after the snapshot, and numpy's and tokenizers' extensions load once per process (a later import of transformers
    then fails with "cannot load module more than once per process")."""
    return load_tokenizer_or_skip("qwen2.5-instruct")


def test_golden_tokens_locks_a_users_pipeline_in_their_golden_folder(loaded_before_pytester, pytester, monkeypatch):
    source = find_tokenizer("qwen2.5-instruct")
    monkeypatch.setenv(ENV_VAR, str(Path(source.path).parent))
    pytester.syspathinsert()
    (pytester.path / "my_masking.py").write_text(
        (Path(__file__).parent.parent / "example_project" / "my_masking.py").read_text(encoding="utf-8"), encoding="utf-8")
    plugin = ("-p", "harness.pytest_plugin", "-p", "no:harness", "-p", "no:cacheprovider")
    pytester.makepyfile(test_pipeline=USER_TEST.replace("FORGET", "False"))

    assert pytester.runpytest_inprocess(*plugin, "--snapshot-update").ret == 0
    golden = pytester.path / "golden" / "test_my_pipeline_boundaries.txt"
    table = golden.read_text(encoding="utf-8")
    assert "exp got token" in table and table.count("✓   ✓") >= 3  # "Hello", "!", <|im_end|> expected and trained
    pytester.runpytest_inprocess(*plugin).assert_outcomes(passed=1)

    pytester.makepyfile(test_pipeline=USER_TEST.replace("FORGET", "True"))
    result = pytester.runpytest_inprocess(*plugin)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assistant   ✓   ✓  <|im_end|>*", "*assistant   ✓   ✗  <|im_end|>*"])
