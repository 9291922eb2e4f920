"""The trainer x configuration x property table of the check at the loss: one ``LossCell`` per adapter's
``LossConfiguration`` (``harness.loss.configurations``), one column per property.

Properties (what each column judges; every failure key of ``harness.loss.judging`` / ``packing`` belongs to one):

- ``positions``: the predictions with gradient are exactly those of the tokens the model generated (the oracle's
  labels shifted by one), padding and neighbours untouched;
- ``target``: each trained prediction's gradient points at the token it predicts (no double shift, no missing one);
- ``weight``: each trained token's weight is the documented normalisation's, over the whole optimizer step (so
  accumulation over micro-batches equals one step over their concatenation);
- ``isolation``: each conversation computes as alone: packed ones restart their positions, and nothing before a
  conversation in its row (packed neighbours, left padding) changes its hidden states.

A column reads ``pass`` (with ``n/a`` for ``isolation`` where no judged conversation had anything before it in its
row), ``FAIL: <class>``, or
``known: <slug>`` where the row's ``known`` findings list that class.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

PREFIX = "HARNESS-LOSS "
PROPERTIES = ("positions", "target", "weight", "isolation")
_PROPERTY_OF = {
    "rows_match_rendering": "positions", "mask_ignored": "positions", "mask_shifted": "positions",
    "gradient_on_untrained": "positions", "no_gradient_on_trained": "positions", "padding_trained": "positions",
    "trained_across_rows": "positions", "target_shifted": "target", "target_wrong": "target",
    "token_weight": "weight", "position_ids": "isolation", "cross_row_attention": "isolation",
    "padding_attended": "isolation",
}


def property_of(key: str) -> str:
    """The column a failure key (``mask_shifted[late]``) belongs to."""
    name = key.split("[", 1)[0]
    if name not in _PROPERTY_OF:
        raise ValueError(f"failure key {key!r} belongs to no property of the loss table ({sorted(_PROPERTY_OF)})")
    return _PROPERTY_OF[name]


@dataclass(frozen=True)
class LossCell:
    trainer: str  # "trl==1.16.0", "verl==0.9.1"
    configuration: str
    normalization: str
    status: str  # pass | fail | n/a (cannot run here) | error (the step raised) | missing (no tokenizer)
    failures: tuple[str, ...] = ()
    known: tuple[str, ...] = ()  # the row's findings slugs (LossConfiguration.known)
    reason: str = ""
    steps: int = 0
    packed_steps: int = 0
    isolated_steps: int = 0  # steps in which a conversation had something before it in its row (isolation judged)
    micro_batched_steps: int = 0
    seconds: float = 0.0
    template: str = ""
    details: str = field(default="", compare=False)

    def to_line(self) -> str:
        return PREFIX + json.dumps(asdict(self))

    def column(self, prop: str) -> str:
        if self.status in ("n/a", "error", "missing"):
            return self.status
        mine = [key for key in self.failures if property_of(key) == prop]
        if mine:
            label = "known" if self.known else "FAIL"
            return "; ".join(f"{label}: {key}" for key in mine)
        if prop == "isolation" and not self.isolated_steps:
            return "n/a"
        return "pass"


def parse_lines(text: str) -> list[LossCell]:
    cells = []
    for line in text.splitlines():
        if line.startswith(PREFIX):
            data = json.loads(line[len(PREFIX):])
            data["failures"], data["known"] = tuple(data["failures"]), tuple(data["known"])
            cells.append(LossCell(**data))
    return cells


def _kinds(cells: list[LossCell], link_root: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """slug -> (the words of its kind, its link: the report, else its first upstream thread, else none, the
    failure keys it accounts for at the loss)."""
    if not any(cell.known for cell in cells):
        return {}
    from harness.conformance.known import load_findings

    words = {"defect": "defect", "convention": "convention", "known-upstream": "known upstream",
             "fixed-upstream": "fixed upstream"}
    return {f.slug: (words.get(f.kind, f.kind), f"{link_root}docs/findings/{f.slug}.md" if f.report else
                     (f.upstream[0] if f.upstream else ""), f.loss_classes) for f in load_findings()}


def markdown(cells: list[LossCell], *, link_root: str = "") -> str:
    """The table: trainer | configuration | normalisation | one column per property | steps judged."""
    kinds = _kinds(cells, link_root)
    lines = ["| trainer | configuration | normalisation | " + " | ".join(PROPERTIES) + " | steps (packed, split) |",
             "|---|---|---|" + "---|" * len(PROPERTIES) + "---|"]
    for cell in cells:
        columns = []
        for prop in PROPERTIES:
            text = cell.column(prop)
            if text.startswith("known") and cell.known:
                keys = [key for key in cell.failures if property_of(key) == prop]
                # the findings that list this column's classes (all the row's when none does)
                slugs = [slug for slug in cell.known if set(keys) & set(kinds.get(slug, ("", "", ()))[2])] \
                    or list(cell.known)
                label = "/".join(dict.fromkeys(kinds.get(slug, ("known",))[0] for slug in slugs))
                links = [f"[{slug}]({kinds[slug][1]})" if slug in kinds and kinds[slug][1] else slug
                         for slug in slugs]
                text = text.replace("known:", label + ":") + " (" + ", ".join(links) + ")"
            columns.append(text)
        steps = f"{cell.steps} ({cell.packed_steps}, {cell.micro_batched_steps})" if cell.status in ("pass", "fail") \
            else (cell.reason[:120] or cell.status)
        lines.append(f"| {cell.trainer} | {cell.configuration} | {cell.normalization} | " + " | ".join(columns)
                     + f" | {steps} |")
    return "\n".join(lines)
