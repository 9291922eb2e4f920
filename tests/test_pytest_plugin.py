"""The pytest plugin: markers, skips, the no-tokenizer guard, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness import pytest_plugin
from harness.assets import tokenizers as tokenizer_registry

pytest_plugins = ["pytester"]


def test_loading_the_plugin_imports_neither_torch_nor_transformers():
    code = "import sys, harness, harness.pytest_plugin; print(sorted({'torch', 'transformers', 'trl'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


@pytest.fixture
def restore_hypothesis_profile():
    """In-process pytester runs load profiles into this process's Hypothesis: put ours back afterwards."""
    from hypothesis import settings

    name = settings.get_current_profile_name()
    yield
    settings.load_profile(name)


def test_unmarked_tests_count_as_cpu_and_gpu_tests_skip_without_cuda(pytester, monkeypatch, restore_hypothesis_profile):
    monkeypatch.setattr(pytest_plugin, "_cuda_available", lambda: False)
    pytester.makeini("[pytest]\nharness_opt_in = true\n")
    pytester.makepyfile(
        """
        import pytest

        def test_plain():
            pass

        @pytest.mark.gpu
        def test_needs_gpu():
            raise AssertionError("must not run")
        """
    )
    result = pytester.runpytest_inprocess("-m", "cpu", "-p", "harness.pytest_plugin", "-p", "no:harness")
    result.assert_outcomes(passed=1, deselected=1)
    result = pytester.runpytest_inprocess("-m", "gpu", "-rs", "-p", "harness.pytest_plugin", "-p", "no:harness")
    result.assert_outcomes(skipped=1, deselected=1)
    result.stdout.fnmatch_lines(["*torch sees no CUDA device*"])


def test_slow_tests_are_skipped_and_counted_unless_the_marker_expression_names_slow(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_plain():
            pass

        @pytest.mark.slow
        def test_heavy():
            pass
        """
    )
    pytester.makeini("[pytest]\nharness_opt_in = true\n")  # markers and the slow tier are for projects that opt in
    plugin = ["-p", "harness.pytest_plugin", "-p", "no:harness"]
    result = pytester.runpytest_inprocess("-m", "cpu", *plugin)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["harness: 1 slow test(s) skipped; run pytest -m 'cpu and slow' nightly"])
    result = pytester.runpytest_inprocess("-m", "cpu and slow", *plugin)
    result.assert_outcomes(passed=1, deselected=1)
    result = pytester.runpytest_inprocess("-m", "cpu and not slow", *plugin)
    result.assert_outcomes(passed=1, deselected=1)
    assert "slow test(s) skipped" not in result.stdout.str()


def test_ci_fails_loudly_when_no_tokenizer_is_found(monkeypatch):
    monkeypatch.setattr(tokenizer_registry, "available_tokenizers", lambda: [])

    class Config:
        @staticmethod
        def getoption(name):
            return True

    class Session:
        config = Config()

    with pytest.raises(pytest.UsageError, match="no tokenizer found at all.*HARNESS_TOKENIZERS_DIR"):
        pytest_plugin.pytest_sessionstart(Session())


def test_missing_tokenizer_reason_names_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv(tokenizer_registry.ENV_VAR, str(tmp_path))
    assert tokenizer_registry.find_tokenizer("no-such-tokenizer") is None
    reason = tokenizer_registry.missing_reason("no-such-tokenizer")
    assert "no-such-tokenizer" in reason and tokenizer_registry.ENV_VAR in reason and str(tmp_path) in reason


def test_setting_is_searched_first(monkeypatch, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "tokenizer_config.json").write_text("{}")
    monkeypatch.setenv(tokenizer_registry.ENV_VAR, str(tmp_path))
    assert tokenizer_registry.find_tokenizer("mine").path == str(folder)
    assert "mine" in tokenizer_registry.available_tokenizers()


HOST_CONFTEST = """
import pytest
from hypothesis import settings

settings.register_profile("host-own", max_examples=7)
settings.load_profile("host-own")


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: the host's own meaning: runs on the host's render farm")
"""

HOST_TESTS = """
import pytest
from hypothesis import settings


def test_host_settings_and_markers_untouched(request):
    assert settings.default.max_examples == EXPECTED_EXAMPLES
    marker_lines = request.config.getini("markers")
    assert any(line.startswith("gpu: the host's own") for line in marker_lines)
    assert any(line.startswith("cpu:") for line in marker_lines) == OPTED_IN


@pytest.mark.gpu
def test_host_gpu_test():
    pass
"""


@pytest.mark.parametrize(
    "ini, args, expected_examples, opted_in",
    [
        ("", (), 7, False),  # not opted in: the host's profile, markers and gpu tests as the host set them
        ("harness_opt_in = true", (), 12, True),  # ini opt-in: the harness's ci profile
        ("", ("--harness-profile", "dev"), 40, True),  # --harness-profile opts in too
    ],
)
def test_host_project_is_untouched_unless_it_opts_in(
    pytester, monkeypatch, restore_hypothesis_profile, ini, args, expected_examples, opted_in
):
    monkeypatch.setattr(pytest_plugin, "_cuda_available", lambda: False)
    monkeypatch.delenv("HARNESS_HYPOTHESIS_PROFILE", raising=False)
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makeconftest(HOST_CONFTEST)
    pytester.makepyfile(HOST_TESTS.replace("EXPECTED_EXAMPLES", str(expected_examples)).replace("OPTED_IN", str(opted_in)))
    plugin = ("-p", "harness.pytest_plugin", "-p", "no:harness")
    result = pytester.runpytest_inprocess(*plugin, *args)
    if opted_in:  # the harness's gpu handling: skipped without CUDA
        result.assert_outcomes(passed=1, skipped=1)
    else:  # the host's gpu test runs
        result.assert_outcomes(passed=2)
    # Unmarked tests are marked cpu only for an opted-in project.
    selected = pytester.runpytest_inprocess(*plugin, *args, "-m", "cpu")
    if opted_in:
        selected.assert_outcomes(passed=1, deselected=1)
    else:
        selected.assert_outcomes(deselected=2)
