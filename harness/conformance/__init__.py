"""Trainers' own masking under the contract: ``python -m harness conformance`` (``cli``).

- ``spec``: ``TrainerEnvironment``, what an adapter declares about the environment its data path runs in, and
  ``Configuration``, one documented configuration of its data path (a row of the table);
- ``trainers``: the adapters covered, their configurations and ``--trainer`` selection; ``default_templates``;
- ``run``: one cached environment per trainer release and one runner process per trainer (``runner``, inside it);
- ``split``: a cell's check, each failure class ordinary or shown only when a content spells control tokens;
- ``known``: the findings registry (``harness/adapters/<trainer>/findings.toml``), ``load_findings``;
- ``verdicts``: each failure class explained by a finding, or ``unexplained``;
- ``results``: ``CellResult``, ``Verdict`` and the runner's JSON lines; ``table``: the text and markdown table.
"""

from __future__ import annotations

from harness.conformance.known import Finding, FindingsError, load_findings
from harness.conformance.results import CellResult, Verdict
from harness.conformance.spec import Configuration, TrainerEnvironment
from harness.conformance.table import format_markdown, format_text

__all__ = ["CellResult", "Configuration", "Finding", "FindingsError", "TrainerEnvironment", "Verdict",
           "format_markdown", "format_text", "load_findings"]
