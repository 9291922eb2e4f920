"""Two audits, one module each:

- ``harness.audit.training_run``: a *training run*'s first batches, as the trainer hands them to its loss
  (``MaskAuditCallback``, a ``transformers.TrainerCallback``);
- ``harness.audit.dataset``: every row of a *dataset* through a pipeline's masking, judged by the oracle
  (``audit_dataset``; ``python -m harness audit DATA --tokenizer NAME --pipeline NAME``).

The dataset audit is built from ``dataset_rows`` (reading and converting rows), ``data_checks`` (what a row gets
wrong before any pipeline), ``pipelines`` (which masker judges it), ``parallel`` (worker processes, Ray) and
``dataset_output`` (the table, the failing rows, the HTML page).
"""

from __future__ import annotations

_LAZY = {
    "MaskAuditCallback": "harness.audit.training_run",
    "MaskAuditError": "harness.audit.training_run",
    "audit_dataset": "harness.audit.dataset",
    "audit_rows": "harness.audit.dataset",
    "DatasetAudit": "harness.audit.dataset",
    "read_dataset": "harness.audit.dataset_rows",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
