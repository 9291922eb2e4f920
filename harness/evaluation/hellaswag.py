"""HellaSwag-style multiple choice: acc and acc_norm as lm-eval-harness's ``hellaswag`` task.

Document processing (lm-eval ``hellaswag/utils.py``): ``ctx = ctx_a + " " + ctx_b.capitalize()``,
``query = preprocess(activity_label + ": " + ctx)``, ``choices = [preprocess(e) for e in endings]``,
where ``preprocess`` strips, turns `` [title]`` into ``". "``, drops ``[...]`` tags and double spaces.
Each choice is scored as the continuation ``" " + choice`` of ``query`` (sum of token log-probs,
see ``loglikelihood``).

* ``acc``: argmax of the summed log-likelihoods.
* ``acc_norm``: argmax of log-likelihood divided by the choice's length in CHARACTERS
  (``len(choice)`` of the preprocessed choice, without the leading space) — lm-eval's
  ``completion_len = [float(len(i)) for i in choices]``. lm-eval's separate ``acc_bytes`` metric
  divides by UTF-8 bytes instead; we report it too (identical on ASCII text).

All 4 endings of ``batch_items`` items go through one padded forward pass.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.evaluation.loglikelihood import encode_pair, score_batch
from harness.reports import JobResult

FULL_VALIDATION_SIZE = 10_042  # items in HellaSwag's validation split


@dataclass(frozen=True)
class MultipleChoiceItem:
    query: str
    choices: tuple[str, ...]
    label: int


@dataclass
class MultipleChoiceResult(JobResult):
    """HellaSwag-style multiple-choice accuracies (a measurement: ``passed`` is None)."""

    acc: float
    acc_norm: float
    acc_bytes: float
    num_items: int
    seconds: float
    items_per_second: float
    predictions: list[int] = field(default_factory=list)
    predictions_norm: list[int] = field(default_factory=list)

    def stderr(self, metric: str = "acc") -> float:
        p = getattr(self, metric)
        return math.sqrt(p * (1 - p) / max(self.num_items - 1, 1))

    def summary(self) -> dict:
        out = asdict(self)
        out.pop("predictions")
        out.pop("predictions_norm")
        out["acc_stderr"] = self.stderr("acc")
        out["acc_norm_stderr"] = self.stderr("acc_norm")
        return out


def preprocess(text: str) -> str:
    text = text.strip()
    # Brackets are artifacts of the WikiHow part of HellaSwag.
    text = text.replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def item_from_row(row: dict) -> MultipleChoiceItem:
    """One rowanz-format HellaSwag row (ctx_a, ctx_b, activity_label, endings, label) as an item."""
    ctx = row["ctx_a"] + " " + row["ctx_b"].capitalize()
    return MultipleChoiceItem(
        query=preprocess(row["activity_label"] + ": " + ctx),
        choices=tuple(preprocess(e) for e in row["endings"]),
        label=int(row["label"]),
    )


def load_hellaswag(path: str | Path, limit: int | None = None) -> list[MultipleChoiceItem]:
    items = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                items.append(item_from_row(json.loads(line)))
                if limit is not None and len(items) >= limit:
                    break
    return items


def predictions(logprobs: Sequence[float], choices: Sequence[str]) -> tuple[int, int, int]:
    """(argmax ll, argmax ll/len(chars), argmax ll/len(utf-8 bytes)); ties go to the first choice."""

    def argmax(values):
        return max(range(len(values)), key=lambda i: (values[i], -i))

    by_chars = [lp / len(c) for lp, c in zip(logprobs, choices)]
    by_bytes = [lp / len(c.encode("utf-8")) for lp, c in zip(logprobs, choices)]
    return argmax(logprobs), argmax(by_chars), argmax(by_bytes)


def evaluate_multiple_choice(
    model, tokenizer, items: Sequence[MultipleChoiceItem], *, batch_items: int = 16, max_length: int | None = None
) -> MultipleChoiceResult:
    """Score every choice of every item with ``model`` and return acc / acc_norm / acc_bytes."""
    start = time.perf_counter()
    encoded = [[encode_pair(tokenizer, it.query, " " + c) for c in it.choices] for it in items]
    # Longest items first (as lm-eval does) so each padded batch holds similar lengths.
    order = sorted(range(len(items)), key=lambda i: -max(len(p.context_ids) + len(p.continuation_ids) for p in encoded[i]))
    logprobs: list[list[float]] = [[] for _ in items]
    for b in range(0, len(order), batch_items):
        chunk = order[b : b + batch_items]
        pairs = [pair for i in chunk for pair in encoded[i]]
        scores = score_batch(model, pairs, max_length=max_length)
        pos = 0
        for i in chunk:
            n = len(encoded[i])
            logprobs[i] = [s.logprob for s in scores[pos : pos + n]]
            pos += n
    hits = [0, 0, 0]
    preds, preds_norm = [], []
    for item, lps in zip(items, logprobs):
        p = predictions(lps, item.choices)
        preds.append(p[0])
        preds_norm.append(p[1])
        for k in range(3):
            hits[k] += int(p[k] == item.label)
    seconds = time.perf_counter() - start
    n = max(len(items), 1)
    return MultipleChoiceResult(
        acc=hits[0] / n,
        acc_norm=hits[1] / n,
        acc_bytes=hits[2] / n,
        num_items=len(items),
        seconds=seconds,
        items_per_second=len(items) / seconds if seconds > 0 else float("inf"),
        predictions=preds,
        predictions_norm=preds_norm,
    )
