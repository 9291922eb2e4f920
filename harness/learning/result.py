"""A learning job's result (``run_learning_job``): its summary, read like the JSON file it writes, and its verdict."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from harness.reports import JobResult


class LearningJobResult(JobResult, Mapping):
    """The summary of a learning job (``result["verdict"]``, ``result["runs"]``, ... as in ``<job>.json``).

    ``passed`` is the paired verdict's (``harness.learning.statistics.paired_verdict``), ``None`` for a job run without
    the ``correct`` condition (no verdict to give)."""

    def __init__(self, summary: dict):
        self._summary = summary

    @property
    def passed(self) -> bool | None:
        verdict = self._summary.get("verdict")
        return None if verdict is None else verdict["passed"]

    def summary(self) -> dict:
        return self._summary

    def __getitem__(self, key: str):
        return self._summary[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._summary)

    def __len__(self) -> int:
        return len(self._summary)

    def __repr__(self) -> str:
        return f"LearningJobResult(job={self._summary.get('job')!r}, passed={self.passed!r})"
