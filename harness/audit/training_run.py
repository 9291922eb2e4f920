"""A training-run audit: which tokens a real trainer trains, in its first batches, by role.

``MaskAuditCallback`` is a ``transformers.TrainerCallback`` for trl's ``SFTTrainer`` and ``GRPOTrainer`` (and any
``Trainer`` whose batches carry ``labels``)::

    trainer = SFTTrainer(..., callbacks=[MaskAuditCallback(strict=True)])

For the first ``batches`` batches it reads the batch the trainer's ``compute_loss`` receives (SFT: ``input_ids``
and ``labels``; GRPO: prompt and completion ids, ``completion_mask`` times ``tool_mask``), gives every token the
role of the chat turn it sits in (found from the chat template's own role headers by ``harness.masking.roles``,
not from the mask), and records: a ✓/✗ token table of a sample, trained-token counts by role, and per-role loss
statistics (the next-token loss of trained and of masked tokens, from one extra no-grad forward). Counts and losses go through
``Trainer.log`` (log history, wandb, tensorboard: wherever the run reports), the table through the trainer's
logger. With ``strict=True`` a trained token of a tool result, user or system turn stops the run at once: the
batch's loss is never computed and ``MaskAuditError`` is raised with the table.

transformers is imported only when the class is first used (``harness.adapters.transformers``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.masking.roles import role_headers, token_roles

FORBIDDEN_ROLES = ("system", "user", "tool")


class MaskAuditError(RuntimeError):
    """A token the model did not generate (tool result, user, system) is trained."""


# --------------------------------------------------------------------------------------------------------------
# One batch


@dataclass
class BatchAudit:
    """What one audited batch trains."""

    step: int
    tokens: int  # attended tokens
    trained: int
    trained_by_role: dict[str, int]
    tokens_by_role: dict[str, int]
    loss_by_role: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    violations: list[tuple[int, int, str]] = field(default_factory=list)  # (row, position, role) trained, forbidden
    table: str = ""

    def metrics(self, prefix: str = "mask_audit/") -> dict[str, float]:
        out: dict[str, float] = {
            f"{prefix}tokens": float(self.tokens),
            f"{prefix}trained_tokens": float(self.trained),
            f"{prefix}trained_fraction": self.trained / max(self.tokens, 1),
            f"{prefix}forbidden_trained_tokens": float(len(self.violations)),
        }
        for role, count in sorted(self.trained_by_role.items()):
            out[f"{prefix}trained/{role}"] = float(count)
        for role, stats in sorted(self.loss_by_role.items()):
            for name, value in stats.items():
                if value is not None:
                    out[f"{prefix}loss/{role}/{name}"] = float(value)
        return out


def _token_losses(model, input_ids, attention_mask):
    """-log p(token t | tokens before t) at every position (NaN at position 0), from one no-grad forward."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    losses = F.cross_entropy(logits[:, :-1].float().transpose(1, 2), input_ids[:, 1:], reduction="none")
    return torch.cat([torch.full_like(losses[:, :1], float("nan")), losses], dim=1)


def batch_view(inputs: Mapping[str, Any]):
    """``(input_ids, trained, attention, start_role)`` tensors of a batch as ``compute_loss`` receives it, or None.

    GRPO: prompt then completion; trained = completion_mask (times tool_mask with tools). SFT: trained where
    ``labels != -100`` (unshifted labels)."""
    import torch

    if "completion_ids" in inputs and "prompt_ids" in inputs:
        mask = inputs["completion_mask"]
        if inputs.get("tool_mask") is not None:
            mask = mask * inputs["tool_mask"]
        ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
        attention = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
        trained = torch.cat([torch.zeros_like(inputs["prompt_mask"]), mask], dim=1)
        return ids, trained.bool(), attention.bool()
    if "input_ids" in inputs and "labels" in inputs:
        ids = inputs["input_ids"]
        attention = inputs.get("attention_mask")
        attention = torch.ones_like(ids, dtype=torch.bool) if attention is None else attention.bool()
        return ids, inputs["labels"] != -100, attention
    return None


def audit_batch(tokenizer, headers, ids, trained, attention, *, step: int = 0, losses=None,
                forbidden: Sequence[str] = FORBIDDEN_ROLES, table_rows: int = 60) -> BatchAudit:
    """Count trained tokens by role over the attended tokens of a batch; flag trained forbidden-role tokens; the
    token table of the first row with a violation (else the first row)."""
    from harness.adapters.transformers import decode_token
    from harness.learning.loss_stats import describe
    from harness.masking.table import EITHER, NOT_TRAINED, TRAINED, TokenRow, format_table, window

    result = BatchAudit(step=step, tokens=0, trained=0, trained_by_role={}, tokens_by_role={})
    values: dict[str, dict[str, list[float]]] = {}
    rows_shown = None
    for row in range(ids.shape[0]):
        keep = [int(p) for p in attention[row].nonzero().flatten().tolist()]
        row_ids = [int(ids[row, p]) for p in keep]
        texts = [decode_token(tokenizer, t) for t in row_ids]
        roles = token_roles(texts, headers)
        marks = [bool(trained[row, p]) for p in keep]
        flagged = []
        for k, (p, role, is_trained) in enumerate(zip(keep, roles, marks)):
            result.tokens += 1
            result.tokens_by_role[role] = result.tokens_by_role.get(role, 0) + 1
            if is_trained:
                result.trained += 1
                result.trained_by_role[role] = result.trained_by_role.get(role, 0) + 1
                if role in forbidden:
                    result.violations.append((row, p, role))
                    flagged.append(k)
            if losses is not None:
                value = float(losses[row, p])
                if not math.isnan(value):
                    values.setdefault(role, {"trained": [], "masked": []})["trained" if is_trained else "masked"].append(value)
        if rows_shown is None or (flagged and not rows_shown[3]):
            rows_shown = (row_ids, texts, roles, flagged, marks)
    for role, kinds in values.items():
        result.loss_by_role[role] = {**describe(kinds["trained"]),
                                     "masked_mean": describe(kinds["masked"])["mean"]}
    if rows_shown is not None:
        row_ids, texts, roles, flagged, marks = rows_shown
        if flagged:
            shown = window(flagged, len(row_ids), limit=table_rows)
        else:
            first = next((k for k, m in enumerate(marks) if m), 0)
            shown = range(max(0, first - table_rows // 4), min(len(row_ids), max(0, first - table_rows // 4) + table_rows))
        rows = [TokenRow(k, row_ids[k], texts[k], roles[k], NOT_TRAINED if roles[k] in forbidden else EITHER,
                         TRAINED if marks[k] else NOT_TRAINED, k in set(flagged)) for k in shown]
        result.table = format_table(rows)
    return result


# --------------------------------------------------------------------------------------------------------------
# The callback


class _MaskAudit:
    """The audit, independent of transformers (``MaskAuditCallback`` adds the TrainerCallback base)."""

    def __init__(self, tokenizer=None, *, strict: bool = False, batches: int = 2, loss_stats: bool = True,
                 forbidden: Sequence[str] = FORBIDDEN_ROLES, table_rows: int = 60, table_log_level: int = logging.WARNING):
        if batches < 1:
            raise ValueError(f"batches must be >= 1, got {batches!r}")
        self.tokenizer = tokenizer
        self.strict = strict
        self.batches = batches
        self.loss_stats = loss_stats
        self.forbidden = tuple(forbidden)
        self.table_rows = table_rows
        self.table_log_level = table_log_level
        self.results: list[BatchAudit] = []
        self._headers: list[tuple[str, str]] | None = None
        self._trainer = None
        self._pending: list[dict[str, float]] = []

    # transformers events ------------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        from harness.adapters.transformers import running_trainer

        trainer = running_trainer()
        if trainer is None:
            raise RuntimeError("MaskAuditCallback: no transformers Trainer found on the call stack")
        if self.tokenizer is None:
            self.tokenizer = kwargs.get("processing_class") or getattr(trainer, "processing_class", None)
        self.tokenizer = getattr(self.tokenizer, "tokenizer", self.tokenizer)  # a processor's tokenizer
        self._headers = role_headers(self.tokenizer)
        self._trainer = trainer
        original = trainer.compute_loss

        def compute_loss(model, inputs, *rest, **options):
            if len(self.results) < self.batches:
                self._audit(model, inputs, state.global_step)
            return original(model, inputs, *rest, **options)

        compute_loss.__wrapped__ = original
        trainer.compute_loss = compute_loss
        return control

    def on_step_end(self, args, state, control, **kwargs):
        self._flush()
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self._flush()
        if self._trainer is not None:
            self._trainer.__dict__.pop("compute_loss", None)
            self._trainer = None
        return control

    # the audit ------------------------------------------------------------------------------------------------
    def _audit(self, model, inputs, step: int) -> None:
        from harness.adapters.transformers import trainer_logger

        view = batch_view(inputs)
        if view is None:
            trainer_logger().warning("MaskAuditCallback: the batch has neither labels nor completion ids; not audited")
            self.batches = len(self.results)
            return
        ids, trained, attention = view
        losses = _token_losses(model, ids, attention.long()) if self.loss_stats else None
        result = audit_batch(self.tokenizer, self._headers, ids, trained, attention, step=step, losses=losses,
                             forbidden=self.forbidden, table_rows=self.table_rows)
        self.results.append(result)
        self._pending.append(result.metrics())
        by_role = ", ".join(f"{r}: {n}/{result.tokens_by_role[r]}" for r, n in sorted(result.trained_by_role.items()))
        summary = (f"mask audit, batch {len(self.results)} (step {step}): {result.trained} of {result.tokens} tokens "
                   f"trained ({by_role or 'none'})")
        trainer_logger().log(self.table_log_level, f"{summary}\n{result.table}")
        if result.violations and self.strict:
            self._flush()
            roles = sorted({role for _, _, role in result.violations})
            raise MaskAuditError(
                f"{len(result.violations)} token(s) of {', '.join(roles)} turns are trained (step {step}); the run is "
                f"stopped before this batch's loss. {summary}\n"
                f"role = the turn the token sits in; exp ✗ = must not be trained, got ✓ = trained, ◀ = offending:\n"
                f"{result.table}"
            )

    def _flush(self) -> None:
        from harness.adapters.transformers import log_to_trainer

        while self._pending and self._trainer is not None:
            log_to_trainer(self._trainer, self._pending.pop(0))


_CLASS = None


def _callback_class():
    global _CLASS
    if _CLASS is None:
        from harness.adapters.transformers import trainer_callback_base

        _CLASS = type("MaskAuditCallback", (_MaskAudit, trainer_callback_base()), {
            "__doc__": __doc__, "__module__": __name__})
    return _CLASS


def __getattr__(name: str):
    if name == "MaskAuditCallback":
        return _callback_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
