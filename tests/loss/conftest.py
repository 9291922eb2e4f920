"""Shared setup of the tests at the loss: qwen2.5-instruct, a tiny model with only its final norm trainable, and
three fixed short conversations whose trained-token counts differ (so per-sequence and per-micro-batch means differ
from the token mean)."""

import pytest

CONVERSATIONS = [
    {"messages": [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "hello you"}],
     "tools": None},
    {"messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "what is 2+2?"},
                  {"role": "assistant", "content": "4, of course"}], "tools": None},
    {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b c d e f g"},
                  {"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], "tools": None},
]


@pytest.fixture(scope="package")
def qwen(load_tokenizer_or_skip):
    return load_tokenizer_or_skip("qwen2.5-instruct")


@pytest.fixture(scope="package")
def tiny_model(qwen):
    from harness.adapters.transformers import tiny_causal_lm
    from harness.loss.attribution import only_final_norm_trainable

    return only_final_norm_trainable(tiny_causal_lm(qwen, hidden_size=16, layers=1, seed=0))
