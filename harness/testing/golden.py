"""Golden token tables: a syrupy extension that keeps one plain-text file per chat template (or test).

Each file is a token table (one token per row: index, id, role, expected label, token text, and the
masker's label when one is given), so a moved turn boundary shows up as a one-line diff. Update with
``pytest --snapshot-update``. The ``golden_tokens`` fixture is ``snapshot`` with this extension.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class GoldenTokenTable(SingleFileSnapshotExtension):
    """``<golden_dir>/<name>.txt``; name: the test's parametrize id (``test_x[qwen3]`` -> ``qwen3``), else the
    test name; a second snapshot in the same test gets ``.1``, ``.2`` ... (or the ``name=`` given)."""

    file_extension = "txt"
    _write_mode = WriteMode.TEXT
    golden_dir: Path = Path("golden")

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(cls.golden_dir)

    @classmethod
    def discovery_dirname(cls, *, test_location) -> str:
        return str(cls.golden_dir)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        match = re.search(r"\[(.+)\]$", test_location.testname)
        name = match.group(1) if match else test_location.testname
        if isinstance(index, str):
            return index
        return name if not index else f"{name}.{index}"

    def diff_lines(self, serialized_data, snapshot_data):
        """Only the changed rows (``-`` golden, ``+`` now), each under its conversation's heading, not the whole file."""
        from harness.golden_masks.diff import changed_rows

        yield from changed_rows(str(snapshot_data or ""), str(serialized_data))


@functools.lru_cache(maxsize=None)
def golden_extension(directory: str | Path) -> type[GoldenTokenTable]:
    """The extension writing to ``directory`` (one class per folder, as syrupy wants a class)."""
    return type("GoldenTokenTable", (GoldenTokenTable,), {"golden_dir": Path(directory).resolve()})


def golden_table(
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    masker=None,
    policy=None,
    template_kwargs: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> str:
    """The token table of one conversation as a golden file holds it (templates printing today's date see a
    fixed date). With ``masker`` a ``got`` column shows what the pipeline trains."""
    from harness.adapters.transformers import frozen_template_date
    from harness.masking.check import token_table
    from harness.masking.output import normalize_output
    from harness.masking.oracle import build_oracle
    from harness.masking.policy import Policy

    with frozen_template_date():
        oracle = build_oracle(tokenizer, messages, tools, policy=policy or Policy(), template_kwargs=template_kwargs)
        trained = None
        if masker is not None:
            output = normalize_output(masker([dict(m) for m in messages], [dict(t) for t in tools] if tools else None))
            if output.input_ids != oracle.input_ids:
                raise AssertionError("the masker's input_ids differ from the template's rendering; no golden table")
            trained = output.trained
        table = token_table(oracle, trained)
    name = title or str(getattr(tokenizer, "name_or_path", "conversation"))
    legend = "exp = expected" + (", got = masker" if masker is not None else "")
    return f"# {name}: token table of a fixed conversation ({legend}; ✓ trained, ✗ not, ~ either)\n{table}\n"
