"""The check of the training data: the tokens the user added occur in the training file
(``added_tokens_in_training_data``), else their embeddings are never trained."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.adapters import transformers as hf
from harness.tokenizer_check.findings import ERROR, Finding, id_ranges, shorten
from harness.tokenizer_check.template import template_text


def _training_text(path: Path) -> str:
    """The file's text, plus (for JSON / JSON Lines) every string value decoded, so escapes do not hide tokens."""
    raw = path.read_text(encoding="utf-8")
    strings: list[str] = []

    def walk(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if path.suffix in (".jsonl", ".json"):
        chunks = raw.splitlines() if path.suffix == ".jsonl" else [raw]
        for chunk in chunks:
            try:
                walk(json.loads(chunk))
            except json.JSONDecodeError:
                continue
    return raw + "\n" + "\n".join(strings)


def user_added_tokens(tokenizer) -> list[str]:
    """Default for ``added_tokens``: added tokens that are not special and that the chat template does not write."""
    template = template_text(tokenizer)
    return [text for _, (text, special) in sorted(hf.added_tokens(tokenizer).items())
            if not special and text.strip() and text not in template]


def check_training_file(report, tokenizer, training_file, tokens: Sequence[str] | None) -> None:
    """``added_tokens_in_training_data``: each added token occurs in the training file."""
    if training_file is None:
        report.skipped["added_tokens_in_training_data"] = "no training file given (training_file=...)"
        return
    tokens = list(tokens) if tokens is not None else user_added_tokens(tokenizer)
    if not tokens:
        report.skipped["added_tokens_in_training_data"] = "no user-added tokens (pass added_tokens=[...])"
        return
    text = _training_text(Path(training_file))
    absent = [t for t in tokens if t not in text]
    if absent:
        vocab = tokenizer.get_vocab()
        ids = [vocab[t] for t in absent if t in vocab]
        report.findings.append(Finding(
            "added_tokens_in_training_data", ERROR,
            f"{len(absent)} of {len(tokens)} added token(s) never occur in {Path(training_file).name}"
            + (f" (ids {id_ranges(ids)})" if ids else "")
            + f": {shorten(absent)}; their embeddings are never trained", tuple(absent)))
