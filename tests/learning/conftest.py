"""Learning tests: one torch thread per pytest-xdist worker.

Two workers on two cores each running torch's default thread pool oversubscribe the machine and
make the tiny training jobs several times slower; alone (no xdist), torch keeps its default.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread_per_worker():
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
