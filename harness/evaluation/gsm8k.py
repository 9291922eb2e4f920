"""GSM8K exact match: gold answers from ``#### N``, the model's answer from ``<answer>N</answer>``,
else ``#### N``, else the last number in its completion; compared as normalised numbers.

Normalisation (as lm-eval's gsm8k filters, then numerically): commas, ``$`` and a trailing ``.``
are dropped, and ``18``, ``18.0`` and ``18.00`` are the same number.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from harness.evaluation.generation import generate_text
from harness.reports import JobResult

INSTRUCTION = "Solve the math problem step by step. Put the final answer, a number, in <answer></answer> tags."
_NUMBER = re.compile(r"-?\$?\d[\d,]*(?:\.\d+)?")
_ANSWER_TAG = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.DOTALL)
_HASHES = re.compile(r"####\s*(-?\$?\d[\d,]*(?:\.\d+)?)")


def normalize_number(text: str) -> str | None:
    """Canonical string of the number in ``text`` ("1,000.50" -> "1000.5"); None if not a number."""
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    normalized = value.normalize()
    return format(normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized, "f")


def parse_gold_answer(answer: str) -> str:
    """The gold number of a GSM8K ``answer`` field (the text after ``####``), normalised."""
    _, sep, tail = answer.rpartition("####")
    if not sep:
        raise ValueError("GSM8K answer without '####'")
    value = normalize_number(tail)
    if value is None:
        raise ValueError(f"GSM8K gold {tail.strip()!r} is not a number")
    return value


def extract_predicted_answer(completion: str) -> str | None:
    """The model's final number: last ``<answer>`` tag, else last ``#### N``, else last number."""
    for pattern in (_ANSWER_TAG, _HASHES):
        found = pattern.findall(completion)
        if found:
            inner = _NUMBER.findall(found[-1])
            if inner:
                return normalize_number(inner[-1])
    numbers = _NUMBER.findall(completion)
    return normalize_number(numbers[-1]) if numbers else None


def is_exact_match(completion: str, gold_answer: str) -> bool:
    predicted = extract_predicted_answer(completion)
    return predicted is not None and predicted == parse_gold_answer(gold_answer)


def load_gsm8k(path: str | Path, limit: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
                if limit is not None and len(rows) >= limit:
                    break
    return rows


def build_prompt(tokenizer, question: str) -> str:
    """A chat prompt when the tokenizer has a template, else lm-eval's ``Question: ...\\nAnswer:``."""
    if getattr(tokenizer, "chat_template", None):
        from harness.adapters.transformers import render

        return render(tokenizer, [{"role": "user", "content": f"{INSTRUCTION}\n\n{question}"}], add_generation_prompt=True)
    return f"Question: {question}\nAnswer:"


@dataclass
class Gsm8kResult(JobResult):
    """GSM8K exact match (a measurement: ``passed`` is None)."""

    accuracy: float
    num_items: int
    num_correct: int
    num_extracted: int
    seconds: float
    items_per_second: float
    records: list[dict] = field(default_factory=list)

    def summary(self, max_records: int = 20) -> dict:
        out = asdict(self)
        out["records"] = self.records[:max_records]
        return out


def evaluate_gsm8k(
    model, tokenizer, rows: Sequence[dict], *, max_new_tokens: int = 256, batch_size: int = 8
) -> Gsm8kResult:
    """Greedy-generate an answer for each GSM8K row and score it by exact match."""
    start = time.perf_counter()
    prompts = [build_prompt(tokenizer, row["question"]) for row in rows]
    completions = generate_text(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size)
    records = []
    for row, completion in zip(rows, completions):
        completion = completion.split("\n\nQuestion:")[0]  # base models continue with a new question
        predicted = extract_predicted_answer(completion)
        gold = parse_gold_answer(row["answer"])
        records.append({"question": row["question"], "gold": gold, "predicted": predicted,
                        "correct": predicted == gold, "completion": completion})
    seconds = time.perf_counter() - start
    correct = sum(r["correct"] for r in records)
    return Gsm8kResult(
        accuracy=correct / max(len(records), 1),
        num_items=len(records),
        num_correct=correct,
        num_extracted=sum(r["predicted"] is not None for r in records),
        seconds=seconds,
        items_per_second=len(records) / seconds if seconds > 0 else float("inf"),
        records=records,
    )
