"""LLM training-pipeline harness: checks that exactly the generated assistant tokens are trained.

Public API (imported lazily, so ``import harness`` and the pytest plugin stay light):

- ``check_masker(masker, tokenizer, *, max_examples=100, seed=0, policy=Policy(), ...) -> Report``
- ``assert_masker(...)`` — the same, raising ``AssertionError(str(report))`` on failure
- ``check_training_step(step, tokenizer, ...) -> StepReport`` / ``assert_training_step`` — the contract at the loss:
  which predictions a training step's gradient reaches, towards which token, with what weight (``harness.loss``);
  ``StepResult`` (an RL step's loss with each conversation's advantage), ``LossConfiguration`` (a loss-table row)
- ``Policy`` — documented conventions (only the last turn, glue after the stop token, ...)
- ``build_oracle`` / ``Oracle`` — the ground truth for one conversation
- ``judge`` — one conversation through a masker, every property judged
- ``token_table`` — the readable per-token view
- ``load_tokenizer`` / ``available_tokenizers`` — the test tokenizers, found through the setting
- ``corpus_names`` / ``corpus_template`` — the corpus of real chat templates (``load_tokenizer(name)`` loads one)
- ``validate_conversation`` / ``ConversationError`` — clear errors for malformed conversations
- ``probe_template`` — what a chat template accepts
- ``assert_rollout_masks`` / ``rollout_mask_problems`` — GRPO tool rollouts: exactly the sampled tokens trained
- ``assert_episode`` / ``episode_problems`` — token-in/token-out pipelines (renderers, verifiers, trl): sampled is
  trained, nothing injected is trained, incremental equals full
- ``strategies`` — the Hypothesis strategies (``conversations_for(tokenizer)``, ``conversations()``, ``texts()`` ...)
- ``Masker`` (Protocol), ``Turns``, ``HazardKind``, ``FailureProperty`` (Literals) — types, see ``harness.types``
- ``golden_table`` / ``GoldenTokenTable`` — token tables for syrupy golden files (fixture ``golden_tokens``)
- ``MaskAuditCallback`` — a ``transformers.TrainerCallback`` auditing the first batches of a real run
- ``audit_rows`` / ``read_dataset`` / ``DatasetAudit`` — every row of a dataset through a masker, judged
  (``python -m harness audit``; fixture ``dataset_audit``)
- ``write_report`` — the self-contained HTML token view (``python -m harness report``)
- ``verify_tokenizer`` — a tokenizer against its config/model, template, eos/pad/bos and training data
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "check_masker": "harness.masking.check",
    "check_training_step": "harness.loss.check",
    "assert_training_step": "harness.loss.check",
    "StepReport": "harness.loss.report",
    "StepFailure": "harness.loss.report",
    "StepResult": "harness.loss.step",
    "LossConfiguration": "harness.loss.configurations",
    "assert_masker": "harness.masking.check",
    "judge": "harness.masking.judging",
    "token_table": "harness.masking.report",
    "Report": "harness.masking.report",
    "Failure": "harness.masking.report",
    "Policy": "harness.masking.policy",
    "Oracle": "harness.masking.oracle",
    "OracleError": "harness.masking.oracle",
    "build_oracle": "harness.masking.oracle",
    "MaskerOutputError": "harness.masking.output",
    "load_tokenizer": "harness.adapters.transformers",
    "available_tokenizers": "harness.assets.tokenizers",
    "corpus_names": "harness.assets.template_corpus",
    "corpus_template": "harness.assets.template_corpus",
    "validate_conversation": "harness.masking.conversation",
    "ConversationError": "harness.masking.conversation",
    "probe_template": "harness.masking.template_probe",
    "assert_rollout_masks": "harness.rollouts.masks",
    "rollout_mask_problems": "harness.rollouts.masks",
    "RolloutMaskProblem": "harness.rollouts.masks",
    "assert_episode": "harness.rollouts.episodes",
    "episode_problems": "harness.rollouts.episodes",
    "Episode": "harness.rollouts.episodes",
    "Masker": "harness.types",
    "Turns": "harness.types",
    "HazardKind": "harness.types",
    "FailureProperty": "harness.types",
    "golden_table": "harness.testing.golden",
    "GoldenTokenTable": "harness.testing.golden",
    "MaskAuditCallback": "harness.audit.training_run",
    "audit_rows": "harness.audit.dataset",
    "DatasetAudit": "harness.audit.dataset",
    "read_dataset": "harness.audit.dataset_rows",
    "write_report": "harness.html_report",
    "verify_tokenizer": "harness.tokenizer_check",
    "TokenizerReport": "harness.tokenizer_check",
    "Finding": "harness.tokenizer_check",
}
# Public submodules, imported on first access like the names above.
_MODULES = {"strategies": "harness.strategies"}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str):
    if name in _MODULES:
        module = importlib.import_module(_MODULES[name])
        globals()[name] = module
        return module
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'harness' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
