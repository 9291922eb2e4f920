"""Where a dataset audit judges its rows: this process, ``jobs`` forked worker processes, or Ray Data.

Each way runs the same per-row function (``harness.audit.dataset.audit_row``) with a context built from the same
``AuditSettings`` (the tokenizer, the pipeline, the templates' clock held at the settings' instant), so each gives
the same verdicts. Worker processes are forked from this one after the context is built (nothing is loaded twice)
and take rows one at a time (long rows do not hold up a chunk). Ray is an optional extra (``pip install -e .[ray]``):
it is imported only here, only for ``--ray``.
"""

from __future__ import annotations

import contextlib
import datetime
import multiprocessing
import os
from collections.abc import Callable, Sequence

from harness.audit.dataset_rows import DatasetRow

_CONTEXT = None  # the forked workers' context (inherited from the parent)
_CLOCK = contextlib.ExitStack()  # a worker's clock, held for its whole life


def _hold_clock(settings) -> None:
    from harness.adapters import transformers as hf

    _CLOCK.close()
    _CLOCK.enter_context(hf.frozen_template_clock(datetime.datetime.fromisoformat(settings.clock)))


def _context(settings):
    from harness.audit.dataset import build_context

    _hold_clock(settings)
    return build_context(settings)


def policy_text(settings) -> str:
    return str(_CONTEXT.policy) if _CONTEXT is not None and _CONTEXT.settings == settings else ""


def in_this_process(rows: Sequence[DatasetRow], settings, *, progress: Callable | None = None) -> list:
    from harness.audit.dataset import audit_row

    global _CONTEXT
    _CONTEXT = _context(settings)
    verdicts = []
    try:
        for done, row in enumerate(rows, 1):
            verdicts.append(audit_row(row, _CONTEXT))
            if progress:
                progress(done, len(rows))
    finally:
        _CLOCK.close()  # this process's clock runs again once its rows are judged
    return verdicts


def _judge(row: DatasetRow):
    from harness.audit.dataset import audit_row

    return audit_row(row, _CONTEXT)


def in_processes(rows: Sequence[DatasetRow], settings, *, jobs: int, progress: Callable | None = None) -> list:
    """``jobs`` worker processes forked after the context is built (where fork exists; else spawned, each building
    its own)."""
    global _CONTEXT
    _CONTEXT = _context(settings)
    methods = multiprocessing.get_all_start_methods()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if "fork" in methods:
        pool = multiprocessing.get_context("fork").Pool(jobs)
    else:
        pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_spawned_worker, initargs=(settings,))
    verdicts = []
    try:
        with pool:
            for done, verdict in enumerate(pool.imap_unordered(_judge, rows, chunksize=1), 1):
                verdicts.append(verdict)
                if progress:
                    progress(done, len(rows))
    finally:
        _CLOCK.close()  # the forked workers hold their copy; this process's clock runs again
    return verdicts


def _spawned_worker(settings) -> None:
    global _CONTEXT
    _CONTEXT = _context(settings)


class _RayAuditor:
    """One Ray actor: builds the context once, judges batches of rows (``{"row": json}`` -> ``{"verdict": json}``)."""

    def __init__(self, settings_json: str):
        import json

        from harness.audit.dataset import AuditSettings

        global _CONTEXT
        _CONTEXT = _context(AuditSettings.from_json(json.loads(settings_json)))

    def __call__(self, batch: dict) -> dict:
        import json

        from harness.audit.dataset import audit_row

        verdicts = [audit_row(DatasetRow.from_json(json.loads(row)), _CONTEXT) for row in batch["row"]]
        return {"verdict": [json.dumps(v.to_json()) for v in verdicts]}


def on_ray(rows: Sequence[DatasetRow], settings, *, address: str, jobs: int, progress: Callable | None = None) -> list:
    """The same per-row function on Ray Data: ``address`` "local" starts a Ray instance on this machine (``jobs``
    CPUs), else connects to the cluster there."""
    import json

    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install -e .[ray] (or pip install 'ray[data]')") from None
    from harness.audit.dataset import RowVerdict

    started_here = not ray.is_initialized()
    if started_here:
        if address == "local":
            ray.init(num_cpus=max(1, jobs), include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    try:
        data = ray.data.from_items([{"row": json.dumps(row.to_json())} for row in rows])
        judged = data.map_batches(_RayAuditor, fn_constructor_kwargs={"settings_json": json.dumps(settings.to_json())},
                                  batch_size=1, concurrency=max(1, jobs))
        verdicts = [RowVerdict.from_json(json.loads(item["verdict"])) for item in judged.iter_rows()]
    finally:
        if started_here:
            ray.shutdown()
    if progress:
        progress(len(verdicts), len(rows))
    global _CONTEXT
    if _CONTEXT is None or _CONTEXT.settings != settings:  # the policy is read from a context built here
        _CONTEXT = _context(settings)
    return verdicts
