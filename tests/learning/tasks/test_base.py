"""Every task's data is pinned: the learning tests' verdicts were measured on these exact rows, in this order, with
these random draws, so a change to a task's prompts, warm-up rows or tools shows here first (re-measure the learning
figures before updating a hash)."""

import hashlib
import json

import pytest

from harness.learning.tasks import TASKS

PINNED = {"copy": "ab6b22484e992e0c", "lookup": "b981e4a99df9fd28", "tool": "cbd75c08f028ce87"}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_prompts_and_warm_up_rows_are_unchanged(name):
    task = TASKS[name]
    data = [task.prompts(16, 0), task.sft_rows(16, 1, wrong_fraction=0.5)]
    assert hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16] == PINNED[name]


def test_data_depends_on_the_seed_alone():
    for task in TASKS.values():
        assert task.prompts(8, 3) == task.prompts(8, 3) != task.prompts(8, 4)
        assert task.sft_rows(8, 3) == task.sft_rows(8, 3)
