"""The pytest plugin: the one place where markers, Hypothesis profiles and options are registered.

Installed as the ``pytest11`` entry point ``harness`` (see pyproject.toml), so any project
that installs the harness gets these markers, options and fixtures. Loading it imports
neither torch nor transformers: those are imported by the tests that need them.
"""

from __future__ import annotations

import os
import re

import pytest

# Markers. Every test is ``cpu`` or ``gpu`` (an unmarked test counts as ``cpu``); a ``cpu`` test may also be ``slow``.
MARKERS = {
    # Runs anywhere in a few seconds to a minute: the CI suite (`pytest -m cpu`).
    "cpu": "runs on CPU within CI's budget (the default for unmarked tests)",
    # Needs CUDA; skipped with a reason where torch sees no GPU (`pytest -m gpu` on a node).
    "gpu": "needs a CUDA GPU; skipped where none is visible",
    # A heavier CPU job (more seeds, the tool task per seed, evaluation after GRPO): the nightly tier. Also ``cpu``;
    # skipped with a reason (and counted in the terminal summary) unless the -m expression names ``slow``, so
    # `pytest -m cpu` stays within CI's budget and `pytest -m "cpu and slow"` runs the tier (see _skip_slow_tier).
    "slow": "nightly CPU tier: runs only when -m names slow, e.g. pytest -m 'cpu and slow'",
}

# Hypothesis profiles, chosen with --harness-profile or $HARNESS_HYPOTHESIS_PROFILE.
#   ci:       derandomized (same examples on every run, so CI never flakes on a new seed),
#             sized so that `pytest -m cpu` stays within a few minutes on 2 cores.
#   dev:      random seeds, a few more examples; for local runs while changing code.
#   thorough: nightly; many more examples, random seeds, no example database writes skipped.
# deadline=None everywhere: tokenizing long conversations on a shared machine varies a lot in time,
# and a timing-based failure is not a masking bug. too_slow/data_too_large are suppressed for the
# same reason (long, non-ASCII conversations are the point of these strategies).
PROFILES = {
    "ci": {"max_examples": 12, "derandomize": True},
    "dev": {"max_examples": 40},
    "thorough": {"max_examples": 400},
}
DEFAULT_PROFILE = "ci"


def _register_profiles() -> None:
    from hypothesis import HealthCheck, settings

    for name, options in PROFILES.items():
        settings.register_profile(
            name,
            deadline=None,
            print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            **options,
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "LLM training-pipeline harness")
    group.addoption(
        "--harness-profile",
        default=os.environ.get("HARNESS_HYPOTHESIS_PROFILE", DEFAULT_PROFILE),
        choices=sorted(PROFILES),
        help="Hypothesis profile: ci (default, fast, derandomized), dev, thorough (nightly).",
    )
    group.addoption(
        "--harness-tokenizers",
        default=None,
        help="Folder of tokenizer folders; overrides $HARNESS_TOKENIZERS_DIR for this run.",
    )
    group.addoption(
        "--harness-require-tokenizers",
        action="store_true",
        default=os.environ.get("HARNESS_REQUIRE_TOKENIZERS", "") not in ("", "0"),
        help="Fail the session when no tokenizer at all is found (CI sets this) instead of skipping.",
    )
    group.addoption(
        "--harness-model",
        default=os.environ.get("HARNESS_MODEL"),
        help="Path of a real model (and its tokenizer) for the learning and evaluation jobs; "
        "default: a tiny model built from a config on the spot.",
    )
    group.addoption(
        "--harness-report-dir",
        default=os.environ.get("HARNESS_REPORT_DIR", "harness-reports"),
        help="Where learning and evaluation jobs write their JSON summaries and PNG plots.",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if config.getoption("--harness-tokenizers"):
        from harness.tokenizer_registry import ENV_VAR

        os.environ[ENV_VAR] = str(config.getoption("--harness-tokenizers"))
    _register_profiles()
    from hypothesis import settings

    settings.load_profile(config.getoption("--harness-profile"))


def pytest_sessionstart(session: pytest.Session) -> None:
    if not session.config.getoption("--harness-require-tokenizers"):
        return
    from harness.tokenizer_registry import ENV_VAR, available_tokenizers, search_roots

    if not available_tokenizers():
        roots = ", ".join(str(r) for r in search_roots())
        raise pytest.UsageError(
            f"harness: no tokenizer found at all (looked in {roots} and the Hugging Face cache). "
            f"Set {ENV_VAR} to the folder of tokenizer folders; CI refuses to pass on skips alone."
        )


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    for item in items:
        if not item.get_closest_marker("gpu") and not item.get_closest_marker("cpu"):
            item.add_marker(pytest.mark.cpu)
    _skip_slow_tier(config, items)
    # torch is imported only when a gpu test was collected, never at plugin load.
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="gpu test: torch sees no CUDA device on this machine")
        for item in gpu_items:
            item.add_marker(skip)


SLOW_TIER_REASON = "slow tier (nightly): run with pytest -m 'cpu and slow'"


def _skip_slow_tier(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``slow`` tests, with a reason, unless the -m expression names ``slow`` (then it decides)."""
    if re.search(r"\bslow\b", config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason=SLOW_TIER_REASON)
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Say how many slow tests this run left out, and how to run them (also under xdist: reports reach here)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SLOW_TIER_REASON in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(f"harness: {len(skipped)} slow test(s) skipped; run pytest -m 'cpu and slow' nightly")


@pytest.fixture(scope="session")
def load_tokenizer_or_skip():
    """Factory fixture: ``load_tokenizer_or_skip("qwen3")`` returns the tokenizer or skips, naming the setting."""
    from harness.adapters.transformers import load_tokenizer
    from harness.tokenizer_registry import find_tokenizer, missing_reason

    def load(name: str):
        if find_tokenizer(name) is None:
            pytest.skip(missing_reason(name))
        return load_tokenizer(name)

    return load


@pytest.fixture(scope="session")
def harness_model(request: pytest.FixtureRequest) -> str | None:
    """The --harness-model path, or None to build a tiny model from a config."""
    return request.config.getoption("--harness-model")


@pytest.fixture(scope="session")
def harness_report_dir(request: pytest.FixtureRequest):
    """Folder for job reports (JSON summaries, PNG plots); created on first use."""
    from pathlib import Path

    path = Path(request.config.getoption("--harness-report-dir"))
    path.mkdir(parents=True, exist_ok=True)
    return path
