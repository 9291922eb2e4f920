"""Learning tests: a fixed torch thread count (one unless HARNESS_TORCH_THREADS says otherwise; see tests/torch_threads.py)."""

from tests.torch_threads import fixed_torch_threads  # noqa: F401  (autouse fixture, shared with tests/evaluation and tests/test_audit.py)
