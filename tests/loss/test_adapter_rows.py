"""transformers' loss-table rows (``LOSS_CONFIGURATIONS``), searched as ``python -m harness loss-table`` does: each
passes, or fails only with classes the findings it names account for. (trl's rows: ``test_trl_step`` and
``test_trl_grpo_step``; the trainers' rows, in their environments: ``test_rl_aggregation``, ``test_packing_trainers``.)
Under ``python -m harness guard -m "cpu and slow"`` they run per version set: a release that changes a normalisation
or packing shows as a FAIL row."""

import importlib

import pytest

from harness.loss.table_cli import RUNNING_ENVIRONMENT


def _rows():
    for name, (module, distribution) in RUNNING_ENVIRONMENT.items():
        if name != "transformers":
            continue
        for row in getattr(importlib.import_module(module), "LOSS_CONFIGURATIONS", ()):
            yield pytest.param(distribution, row, id=f"{name}:{row.name}")


@pytest.mark.slow
@pytest.mark.parametrize("distribution,row", list(_rows()))
def test_row_passes_or_fails_only_as_its_findings_say(distribution, row, load_tokenizer_or_skip, tmp_path):
    from harness.loss.runner import run_row

    load_tokenizer_or_skip("qwen2.5-instruct")
    cell = run_row(distribution, row, "qwen2.5-instruct", examples=3, seed=0, replay_dir=str(tmp_path),
                   shrink=False)
    if row.cannot:
        assert cell.status == "n/a"
        return
    assert cell.status in ("pass", "fail"), cell.reason + "\n" + cell.details
    if row.known:
        from harness.conformance.known import load_findings

        # The findings' own strict xfails notice a fix; here: nothing fails that they do not account for.
        explained = {key for f in load_findings() if f.slug in row.known for key in f.loss_classes}
        assert set(cell.failures) <= explained, f"failures its findings {row.known} do not list:\n{cell.details}"
    else:
        assert cell.status == "pass", cell.details
