"""Runs a finding's reproduction (``docs/findings/repro/<file>``) where the trainer runs, and says whether it still
shows what the report names.

The environment: for a trainer the conformance table covers, its adapter's cached ``ENVIRONMENT`` (the release the
report names); for any other (trl, renderers), the reproduction's ``requirements`` resolved over the running
environment (``harness.guard.environments.ensure_environment``; the running environment itself when it already has
those versions). The script gets the shared tokenizer folder as its first argument and must exit 0 with every
``expect`` string in its output; a finding that stopped reproducing (an upstream fix, a changed release) fails.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.conformance.known import Finding
from harness.conformance.findings_index import REPRODUCTION_DIR


class ReproductionError(RuntimeError):
    """A reproduction that cannot be run here (no environment, no tokenizer), with the reason."""


class TokenizerMissing(ReproductionError):
    """The reproduction's tokenizer is not on this machine (a test skips, naming the setting)."""


@dataclass(frozen=True)
class Outcome:
    finding: Finding
    returncode: int
    output: str
    missing: tuple[str, ...]  # expect strings the output lacks

    @property
    def reproduced(self) -> bool:
        return self.returncode == 0 and not self.missing

    def describe(self) -> str:
        if self.reproduced:
            verdict = [line for line in self.output.splitlines() if line.startswith("REPRODUCED:")]
            return f"{self.finding.slug}: reproduces" + (f" ({verdict[-1][len('REPRODUCED:'):].strip()})" if verdict
                                                         else "")
        why = f"exit {self.returncode}" if self.returncode else f"output lacks {list(self.missing)}"
        return f"{self.finding.slug}: DOES NOT REPRODUCE ({why})\n{self.output[-3000:]}"


def environment_for(finding: Finding, *, cache_dir: Path | None = None, log=print):
    """The ``harness.guard.environments.Environment`` the reproduction runs in."""
    from harness.conformance.trainers import ADAPTERS, load_trainer
    from harness.guard.environments import DEFAULT_CACHE_DIR, ensure_environment, harness_requirements

    if finding.adapter in ADAPTERS:
        from harness.conformance.run import trainer_environment

        trainer = load_trainer(finding.adapter)
        if isinstance(trainer, str):
            raise ReproductionError(f"{finding.slug}: {trainer}")
        if trainer.environment.release != finding.version:
            raise ReproductionError(f"{finding.slug}: read at {finding.trainer}=={finding.version}, but the adapter "
                                    f"runs {trainer.label}")
        return trainer_environment(trainer, cache_dir, log)
    return ensure_environment(finding.requirements, name=f"repro-{finding.adapter}-{finding.version}",
                              resolve_with=harness_requirements(), cache_dir=cache_dir or DEFAULT_CACHE_DIR, log=log)


def run_reproduction(finding: Finding, findings_dir: Path, *, cache_dir: Path | None = None, timeout: float = 600,
                     log=print) -> Outcome:
    """Runs ``finding``'s script with its tokenizer in its environment. Raises ``ReproductionError`` when it
    cannot be run here (no reproduction, tokenizer missing, environment not buildable)."""
    from harness.assets.tokenizers import find_tokenizer, missing_reason
    from harness.guard.running import EnvironmentBuildError

    if not finding.reproduction:
        raise ReproductionError(f"{finding.slug}: no reproduction")
    source = find_tokenizer(finding.tokenizer)
    if source is None:
        raise TokenizerMissing(f"{finding.slug}: {missing_reason(finding.tokenizer)}")
    if source.corpus_template:
        raise ReproductionError(f"{finding.slug}: tokenizer {finding.tokenizer!r} is a corpus template, not a real "
                                f"tokenizer folder a reproduction can load")
    try:
        environment = environment_for(finding, cache_dir=cache_dir, log=log)
    except EnvironmentBuildError as error:
        raise ReproductionError(f"{finding.slug}: environment: {error}") from None
    script = Path(findings_dir) / REPRODUCTION_DIR / finding.reproduction
    env = environment.subprocess_env({**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    env.pop("PYTHONPATH", None)  # the script must run without this project
    result = subprocess.run([str(environment.python), str(script), source.path], capture_output=True, text=True,
                            env=env, timeout=timeout, cwd=script.parent)
    output = result.stdout + result.stderr
    return Outcome(finding, result.returncode, output, tuple(e for e in finding.expect if e not in result.stdout))
