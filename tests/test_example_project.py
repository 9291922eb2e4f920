"""A user's project (tests/example_project: a masking function, a conftest with its own Hypothesis profile, one
test file) run with pytester in a subprocess, so the harness arrives only through its installed ``pytest11``
entry point. Asserted on what the user sees: the passing check, the failure text, the replay file and its
command, the skip reason."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harness.cli import main
from harness.assets.tokenizers import ENV_VAR, find_tokenizer

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).parent / "example_project"


@pytest.fixture
def example(pytester, monkeypatch):
    if not any(ep.name == "harness" and ep.value == "harness.pytest_plugin" for ep in entry_points(group="pytest11")):
        pytest.skip("the harness is not installed (pip install -e .): no pytest11 entry point to test")
    source = find_tokenizer("qwen2.5-instruct")
    if source is None:
        pytest.skip(f"tokenizer qwen2.5-instruct not found (set {ENV_VAR})")
    monkeypatch.setenv(ENV_VAR, str(Path(source.path).parent))
    monkeypatch.delenv("HARNESS_HYPOTHESIS_PROFILE", raising=False)
    for path in EXAMPLE.iterdir():
        if path.suffix == ".py":
            shutil.copy(path, pytester.path / path.name)
    return pytester


def test_example_project_passes_fails_and_skips_through_the_installed_plugin(example, capsys):
    reports = example.path / "reports"
    result = example.runpytest_subprocess("-p", "no:cacheprovider", "-rs", "-s", f"--harness-report-dir={reports}")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    out = result.stdout.str()

    # The passing check followed the project's own Hypothesis profile (5 examples), not a hard-coded 100.
    examples = int(re.search(r"check_masker on qwen2.5-instruct: PASSED \((\d+) conversations", out).group(1))
    assert 5 <= examples < 20

    # The failure: the report's text, naming the property and the offending end-of-turn token, without a traceback
    # into the harness.
    result.stdout.fnmatch_lines([
        "*test_masker_that_forgets_the_end_of_turn*",
        "*check_masker on qwen2.5-instruct: FAILED*",
        "*[[]stop_token_trained[[]stop token[]][]]*",
    ])
    assert "<|im_end|>" in out and "◀" in out
    failures = out[out.index("= FAILURES ="):out.index("short test summary info")]
    assert "harness/" not in failures and "Traceback" not in failures  # pytest.fail(..., pytrace=False)

    # The replay file: the shrunk conversation, whole, and the command that shows it token by token.
    replay = re.search(r"\[stop_token_trained\[stop token\]\] [\s\S]*?replay: (python -m harness inspect .+)", out)
    command = shlex.split(replay.group(1))
    path = Path(command[command.index("--tokenizer") + 2])
    assert path.parent.parent == reports / "masking" and path.parent.name.startswith("test_masker_that_forgets_the_end_of_turn")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["tokenizer"] == "qwen2.5-instruct" and any(m["role"] == "assistant" for m in data["messages"])
    assert command[:3] == ["python", "-m", "harness"]
    assert main(command[3:] + ["--color", "never"]) == 0  # the command, run in this process (tokenizer loaded once)
    shown = capsys.readouterr().out
    assert re.search(r"assistant\s+✓\s+<\|im_end\|>\n", shown)  # the token the masker forgot, expected trained

    # The skip names the missing template and the setting that finds tokenizers.
    result.stdout.fnmatch_lines([f"SKIPPED*test_my_masking.py:*my-private-template*{ENV_VAR}*"])
