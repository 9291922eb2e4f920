"""Each failure class of a conformance cell, explained by the findings registry (``known.load_findings``).

A class is explained by the findings of the cell's adapter, read at the release the cell ran, that list the cell's
configuration, template and the class (``Finding.explains``); each gives a ``Verdict``: ``defect`` (its report),
``convention: <option>``, ``known upstream #N`` (the issue), ``fixed in <release>`` (the pull request). A class no
finding explains is ``unexplained: <class>``, so that a new regression shows as such and is never labelled by a
finding that does not cover it. A finding that shows only with control-token contents explains no class ordinary
conversations show; a class only control-token contents show is explained by such findings where one covers it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from harness.conformance.known import Finding
from harness.conformance.results import CONTROL_TOKENS, ORDINARY, CellResult, Verdict


def _short_option(option: str, limit: int = 48) -> str:
    """The option's name for a table cell: its text before any parenthesis (where it is documented), shortened."""
    name = option.split(" (")[0].strip() or option.strip()
    return name if len(name) <= limit else name[: limit - 1] + "…"


def verdict_for(finding: Finding, failure: str, contents: str) -> Verdict:
    """What ``finding`` says about class ``failure``: the table's label and its link."""
    label, link = finding.kind, ""
    if finding.kind == "defect":
        label, link = "defect", finding.report_path
    elif finding.kind == "convention":
        label, link = f"convention: {_short_option(finding.option)}", finding.report_path
    elif finding.kind == "known-upstream":
        numbers = finding.upstream_numbers
        label, link = "known upstream " + ", ".join(number for number, _ in numbers), numbers[0][1]
    elif finding.kind == "fixed-upstream":
        pulls = [url for url in finding.upstream if "/pull/" in url] or list(finding.upstream)
        label, link = f"fixed in {finding.fixed_in}", pulls[0]
    return Verdict(failure, contents, finding.kind, label, link, finding.slug, finding.title)


def classify(cell: CellResult, findings: Sequence[Finding], *, adapter: str) -> CellResult:
    """``cell`` with one verdict per failure class and explaining finding (``unexplained`` where none does).
    ``adapter`` is the adapter folder (``harness/adapters/<adapter>/``); the release is the cell's."""
    if cell.status != "fail":
        return cell
    release = cell.trainer.partition("==")[2]
    verdicts = []
    for failure in cell.failures:
        control_only = failure in cell.control_only
        contents = CONTROL_TOKENS if control_only else ORDINARY
        explaining = [f for f in findings if f.explains(adapter=adapter, release=release,
                                                        configuration=cell.configuration, template=cell.template,
                                                        failure=failure, control_only=control_only)]
        if control_only and any(f.content_control_tokens for f in explaining):
            # A class only control-token contents showed: the findings about such contents explain it, not one
            # that shows on ordinary data (which the search on ordinary contents did not find here).
            explaining = [f for f in explaining if f.content_control_tokens]
        verdicts += [verdict_for(f, failure, contents) for f in explaining] or [
            Verdict(failure, contents, "unexplained", f"unexplained: {failure}")]
    return dataclasses.replace(cell, verdicts=tuple(verdicts))
