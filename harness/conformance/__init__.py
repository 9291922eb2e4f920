"""Trainers' own masking under the contract: ``python -m harness conformance`` (``cli``).

- ``spec``: ``TrainerEnvironment``, what an adapter declares about the environment its data path runs in;
- ``trainers``: the adapters covered and ``--trainer`` selection; ``default_templates``;
- ``run``: one cached environment per trainer release and one runner process per trainer (``runner``, inside it);
- ``results``: ``CellResult`` and the runner's JSON lines; ``table``: the text and markdown table.
"""

from __future__ import annotations

from harness.conformance.results import CellResult
from harness.conformance.spec import TrainerEnvironment
from harness.conformance.table import format_markdown, format_text

__all__ = ["CellResult", "TrainerEnvironment", "format_markdown", "format_text"]
