"""The torch thread count of the tests that train or run tiny models (tests/learning, tests/evaluation, tests/test_audit.py).

One thread by default, with or without pytest-xdist: tiny models gain nothing from intra-op threads, two xdist workers
on two cores each spinning torch's default pool oversubscribe the machine (a training step ~10x slower), and a fixed
count keeps the floating-point reduction order the same however pytest is invoked. ``HARNESS_TORCH_THREADS=N``
overrides it (the learning tests' figures were measured under 1 and 2 threads). Restored after each test.
"""

from __future__ import annotations

import os

import pytest

ENV_VAR = "HARNESS_TORCH_THREADS"


@pytest.fixture(autouse=True)
def fixed_torch_threads():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get(ENV_VAR) or 1))
    yield
    torch.set_num_threads(before)
