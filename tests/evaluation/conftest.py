"""Shared fixtures for the evaluation tests: data files (skipped with a reason when missing)
and a tiny tokenizer trained on the spot."""

from __future__ import annotations

import pytest

from harness.assets.data import GSM8K_TEST_FILE, HELLASWAG_FILE, find_data_file, missing_reason
from tests.torch_threads import fixed_torch_threads  # noqa: F401  (autouse; shared with tests/learning and tests/test_audit.py)


def _data_path_or_skip(name: str):
    path = find_data_file(name)
    if path is None:
        pytest.skip(missing_reason(name))
    return path


@pytest.fixture(scope="session")
def hellaswag_path():
    return _data_path_or_skip(HELLASWAG_FILE)


@pytest.fixture(scope="session")
def gsm8k_path():
    return _data_path_or_skip(GSM8K_TEST_FILE)


@pytest.fixture(scope="session")
def hellaswag_items(hellaswag_path):
    from harness.evaluation.hellaswag import load_hellaswag

    return load_hellaswag(hellaswag_path)


@pytest.fixture(scope="session")
def hellaswag_tokenizer(hellaswag_items):
    """A 1000-token byte-level BPE trained on the HellaSwag subset (small vocab: fast on CPU)."""
    from harness.adapters.transformers import train_bpe_tokenizer

    return train_bpe_tokenizer([it.query + " " + " ".join(it.choices) for it in hellaswag_items], 1000)


def tiny_gpt2(tokenizer, seed: int = 0, **overrides):
    from harness.adapters.transformers import build_gpt2_lm

    shape = dict(n_positions=256, n_embd=64, n_layer=2, n_head=4)
    shape.update(overrides)
    return build_gpt2_lm(
        seed=seed,
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **shape,
    )
