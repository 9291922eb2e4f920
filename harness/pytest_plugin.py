"""The pytest plugin: the one place where markers, Hypothesis profiles, options and fixtures live.

Installed as the ``pytest11`` entry point ``harness`` (see pyproject.toml), so it loads in every
project that installs the harness. It is polite: the fixtures (``masking_check``, ``golden_tokens``,
``load_tokenizer_or_skip`` ...) and ``--harness-*`` options are always there, but the markers
``cpu``/``gpu``, auto-marking, skipping ``gpu`` tests without CUDA and the Hypothesis profile apply
only to a project that opts in: ``harness_opt_in = true`` in its pytest ini
(``[tool.pytest.ini_options]``), or ``--harness-profile``/``$HARNESS_HYPOTHESIS_PROFILE`` given.
Otherwise the host's own Hypothesis settings and markers are untouched. Loading it imports neither
torch nor transformers: those are imported by the tests that need them.
"""

from __future__ import annotations

import os
import re

import pytest

# Markers (opted-in projects). Every test is ``cpu`` or ``gpu`` (an unmarked test counts as ``cpu``); a ``cpu``
# test may also be ``slow``.
MARKERS = {
    # Runs anywhere in a few seconds to a minute: the CI suite (`pytest -m cpu`).
    "cpu": "runs on CPU within CI's budget (the default for unmarked tests)",
    # Needs CUDA; skipped with a reason where torch sees no GPU (`pytest -m gpu` on a node).
    "gpu": "needs a CUDA GPU; skipped where none is visible",
    # A heavier CPU job (more seeds, the tool task per seed, evaluation after GRPO): the nightly tier. Also ``cpu``;
    # skipped with a reason (and counted in the terminal summary) unless the -m expression names ``slow``, so
    # `pytest -m cpu` stays within CI's budget and `pytest -m "cpu and slow"` runs the tier (see _skip_slow_tier).
    "slow": "nightly CPU tier: runs only when -m names slow, e.g. pytest -m 'cpu and slow'",
    # A test that takes a large share of its tier alone (a learning job): collected first, so that under
    # pytest-xdist one worker runs it while the others share the rest, instead of it starting last.
    "long": "takes a large share of its tier alone: scheduled first (overlaps the rest under -n N)",
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
OPT_IN_INI = "harness_opt_in"
PROFILE_ENV = "HARNESS_HYPOTHESIS_PROFILE"
_OPTED_IN = pytest.StashKey[bool]()


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
        default=os.environ.get(PROFILE_ENV) or None,
        choices=sorted(PROFILES),
        help="Hypothesis profile: ci (default for opted-in projects: fast, derandomized), dev, thorough "
        "(nightly). Giving it opts the project in (markers, profile).",
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
        help="Where learning and evaluation jobs write their JSON summaries and PNG plots, and "
        "masking_check its replay files.",
    )
    parser.addini(
        OPT_IN_INI,
        type="bool",
        default=False,
        help="harness: register the cpu/gpu markers (unmarked tests count as cpu, gpu tests skip without CUDA) "
        "and load the harness Hypothesis profile (--harness-profile, default ci).",
    )
    parser.addini(
        "harness_golden_dir",
        default="golden",
        help="harness: folder (relative to the rootdir) of the golden_tokens fixture's token tables.",
    )


def opted_in(config: pytest.Config) -> bool:
    """Whether this run asked for the harness's markers and profile (ini option or --harness-profile)."""
    return bool(config.getini(OPT_IN_INI)) or config.getoption("--harness-profile") is not None


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--harness-tokenizers"):
        from harness.assets.tokenizers import ENV_VAR

        os.environ[ENV_VAR] = str(config.getoption("--harness-tokenizers"))
    config.stash[_OPTED_IN] = opted_in(config)
    if not config.stash[_OPTED_IN]:
        return  # a host that did not opt in keeps its own markers and Hypothesis settings
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    _register_profiles()
    from hypothesis import settings

    settings.load_profile(config.getoption("--harness-profile") or DEFAULT_PROFILE)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not session.config.getoption("--harness-require-tokenizers"):
        return
    from harness.assets.tokenizers import ENV_VAR, available_tokenizers, search_roots

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
    if not config.stash.get(_OPTED_IN, False):
        return
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    for item in items:
        if not item.get_closest_marker("gpu") and not item.get_closest_marker("cpu"):
            item.add_marker(pytest.mark.cpu)
    _skip_slow_tier(config, items)
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: long ones first
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
    from harness.assets.tokenizers import find_tokenizer, missing_reason

    def load(name: str):
        __tracebackhide__ = True  # a skip is reported at the test's line, not here
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


@pytest.fixture
def masking_check(request: pytest.FixtureRequest, load_tokenizer_or_skip, harness_report_dir):
    """One-line check of a masker: ``masking_check(my_masker, "qwen3", policy=..., chat_template=...)``.

    Loads the tokenizer (a name, a folder, or a tokenizer object), or skips naming the setting; follows
    the active Hypothesis settings (the harness profile where the project opted in, else the host's
    own) unless ``max_examples=`` is given; on failure writes each failing (shrunk) conversation as
    JSON under ``--harness-report-dir``/masking with the ``python -m harness inspect`` command that
    replays it, and fails the test with the report. Returns the ``Report`` when it passes. A template that reads the
    clock (``strftime_now``) sees one instant for the whole check, the masker's renders and the replay files included
    (``clock=`` a ``datetime`` to choose it; default: the time the check starts, to the second).
    """
    from harness.testing.masking_check import run_masking_check

    def check(masker, tokenizer, *, chat_template: str | None = None, **options):
        __tracebackhide__ = True
        if isinstance(tokenizer, str):
            tokenizer = load_tokenizer_or_skip(tokenizer)
        report, message = run_masking_check(
            masker, tokenizer, chat_template=chat_template, replay_dir=harness_report_dir / "masking",
            label=request.node.name, **options,
        )
        if message is not None:
            pytest.fail(message, pytrace=False)
        return report

    return check


@pytest.fixture
def training_step_check(request: pytest.FixtureRequest, load_tokenizer_or_skip, harness_report_dir):
    """One-line check at the loss: ``training_step_check(my_step, "qwen3", normalization="token", ...)``.

    ``my_step(model, conversations) -> loss`` (``harness.loss.step``). Loads the tokenizer (a name, a folder, or a
    tokenizer object), or skips naming the setting; runs ``harness.check_training_step`` with the given options,
    writing replay files under ``--harness-report-dir``/loss/<test>; fails the test with the report (each failure
    class with its weight table), returns the ``StepReport`` when it passes.
    """
    from harness.loss.check import check_training_step

    def check(step, tokenizer, **options):
        __tracebackhide__ = True
        if isinstance(tokenizer, str):
            tokenizer = load_tokenizer_or_skip(tokenizer)
        options.setdefault("replay_dir", harness_report_dir / "loss" / request.node.name)
        report = check_training_step(step, tokenizer, **options)
        if not report.passed:
            pytest.fail(str(report), pytrace=False)
        return report

    return check


@pytest.fixture
def dataset_audit(request: pytest.FixtureRequest, load_tokenizer_or_skip, harness_report_dir):
    """Audit your own data on every pull request: ``dataset_audit("data/train.jsonl", my_masker, "qwen3",
    sample=200, max_length=4096)``.

    Every (sampled, with ``seed``) row of the dataset (a path, or a list of OpenAI/ShareGPT rows) goes through the
    masker and is judged like ``python -m harness audit`` judges it (the oracle, and the checks that need no
    pipeline); the outputs go under ``--harness-report-dir``/audit/<test>. Fails the test with the per-class table
    when a row is trained wrong; returns the ``DatasetAudit`` otherwise.
    """
    from harness.testing.dataset_audit import run_dataset_audit

    def audit(data, masker, tokenizer, **options):
        __tracebackhide__ = True
        name = tokenizer if isinstance(tokenizer, str) else ""
        if isinstance(tokenizer, str):
            tokenizer = load_tokenizer_or_skip(tokenizer)
        result, message = run_dataset_audit(data, masker, tokenizer, tokenizer_name=name,
                                            out_dir=harness_report_dir / "audit" / request.node.name, **options)
        if message is not None:
            pytest.fail(message, pytrace=False)
        return result

    return audit


@pytest.fixture
def golden_tokens(request: pytest.FixtureRequest, snapshot):
    """syrupy's ``snapshot`` with the harness's golden token-table extension: one plain-text file per test
    (named by its parametrize id, else the test name) in the rootdir's ``golden/`` (ini ``harness_golden_dir``).

    ``assert harness.golden_table(tokenizer, messages, tools, masker=my_masker) == golden_tokens`` locks a
    template's (and a pipeline's) token boundaries; update with ``pytest --snapshot-update``.
    """
    from harness.testing.golden import golden_extension

    folder = request.config.rootpath / request.config.getini("harness_golden_dir")
    return snapshot.use_extension(golden_extension(folder))
