"""The ``dataset_audit`` fixture's logic: audit a (sampled) dataset with a masker, write the outputs, say what
failed. Kept out of the pytest plugin so that loading the plugin stays light."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any


def run_dataset_audit(data, masker, tokenizer, *, out_dir: Path, sample: int | None = None, seed: int = 0,
                      policy=None, max_length: int | None = None, split: str | None = None,
                      tokenizer_name: str = "") -> tuple[Any, str | None]:
    """``(audit, None)`` when every audited row is trained right, ``(audit, message)`` otherwise.

    ``data``: a dataset path (JSONL, JSON, Parquet, datasets folder) or a list of rows (OpenAI or ShareGPT dicts);
    ``sample``: audit that many rows drawn with ``seed`` (the same rows on every run), default all."""
    from harness.audit.dataset import audit_rows
    from harness.audit.dataset_output import format_table, header, write_outputs
    from harness.audit.dataset_rows import read_dataset, rows_from

    if isinstance(data, (str, Path)):
        rows, name = read_dataset(data, split=split), str(data)
    else:
        rows, name = rows_from(list(data)), "rows"
    if sample is not None:
        if sample < 1:
            raise ValueError(f"dataset_audit: sample must be at least 1, got {sample}")
        if sample < len(rows):
            rows = sorted(random.Random(seed).sample(rows, sample), key=lambda row: row.index)
    audit = audit_rows(rows, tokenizer, masker, policy=policy, max_length=max_length, dataset=name,
                       tokenizer_name=tokenizer_name)
    paths = write_outputs(audit, rows, out_dir, tokenizer_name=tokenizer_name or audit.tokenizer, examples=False)
    if audit.passed:
        return audit, None
    return audit, (f"{header(audit)}\n{format_table(audit)}\nfailing rows: {paths['failing']} (each with its replay "
                   f"command); page: {paths['html']}")
