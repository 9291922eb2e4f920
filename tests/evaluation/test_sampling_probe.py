"""Sampling probe: planted signal (a model trained to emit an added token emits it under every
strategy; a random-init one almost never does), forced prefixes, and the single-token check
on every real tokenizer."""

from __future__ import annotations

import pytest

from harness.reports import write_json
from harness.evaluation.generation import GREEDY, STRATEGIES, TEMPERATURE
from harness.evaluation.sampling_probe import added_token_encodings, added_tokens_not_single, probe_token_frequencies
from harness.evaluation.tiny_training import train_completions
from harness.assets.tokenizers import available_tokenizers

from .conftest import tiny_gpt2

PROMPTS = ["Call the tool now:", "Please use the tool:", "Tool time:"]


@pytest.fixture(scope="module")
def tool_tokenizer():
    from harness.adapters.transformers import train_bpe_tokenizer

    tokenizer = train_bpe_tokenizer(PROMPTS * 3 + ["the weather is nice today and the sky is blue"], 300)
    tokenizer.add_tokens(["<tool>"], special_tokens=True)
    return tokenizer


def test_trained_model_emits_the_added_token_untrained_does_not(tool_tokenizer, harness_report_dir):
    tool_id = tool_tokenizer.convert_tokens_to_ids("<tool>")
    assert added_tokens_not_single(tool_tokenizer) == {}
    model = tiny_gpt2(tool_tokenizer, seed=0)
    before = probe_token_frequencies(model, tool_tokenizer, PROMPTS, [tool_id], samples_per_prompt=4, max_new_tokens=8)
    train_completions(model, tool_tokenizer, [(p, "<tool>") for p in PROMPTS], steps=40, lr=5e-3, batch_size=3, add_eos=True)
    after = probe_token_frequencies(model, tool_tokenizer, PROMPTS, [tool_id], samples_per_prompt=4, max_new_tokens=8)

    write_json(harness_report_dir, "sampling_probe_planted_cpu", {
        "token": "<tool>",
        "untrained": {k: v.summary() for k, v in before.items()},
        "trained": {k: v.summary() for k, v in after.items()},
    })
    assert set(after) == {s.name for s in STRATEGIES}
    # One added token among ~300: a random-init model puts ~1/300 of its mass on it.
    for result in before.values():
        assert result.rate(tool_id) < 0.1, result
    assert after["greedy"].sequence_rate(tool_id) == 1.0
    for name in ("temperature", "top_k", "top_p"):
        assert after[name].sequence_rate(tool_id) >= 0.75, after[name]
    assert after["greedy"].num_sequences == len(PROMPTS)
    assert after["temperature"].num_sequences == 4 * len(PROMPTS)


def test_forced_prefix_is_fed_but_not_counted(tool_tokenizer):
    tool_id = tool_tokenizer.convert_tokens_to_ids("<tool>")
    model = tiny_gpt2(tool_tokenizer, seed=1)
    train_completions(model, tool_tokenizer, [(p, "<tool><tool>") for p in PROMPTS], steps=40, lr=5e-3, batch_size=3, add_eos=True)
    free = probe_token_frequencies(model, tool_tokenizer, PROMPTS, [tool_id], strategies=[GREEDY], max_new_tokens=4)
    forced = probe_token_frequencies(
        model, tool_tokenizer, PROMPTS, [tool_id], strategies=[GREEDY], forced_prefix="<tool>", max_new_tokens=4
    )
    # Free: the model writes both tool tokens itself; forced: the first is given, it writes one.
    assert free["greedy"].counts[tool_id] == 2 * len(PROMPTS)
    assert forced["greedy"].counts[tool_id] == len(PROMPTS)


def test_sampling_is_seeded(tool_tokenizer):
    model = tiny_gpt2(tool_tokenizer, seed=2)
    a = probe_token_frequencies(model, tool_tokenizer, PROMPTS, [5, 6, 7], strategies=[TEMPERATURE], seed=3)
    b = probe_token_frequencies(model, tool_tokenizer, PROMPTS, [5, 6, 7], strategies=[TEMPERATURE], seed=3)
    assert a["temperature"] == b["temperature"]


@pytest.mark.parametrize("name", available_tokenizers() or ["qwen3"])
def test_added_tokens_are_single_tokens(name, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(name)
    encodings = added_token_encodings(tokenizer)
    assert encodings, f"{name} has no added tokens"
    assert added_tokens_not_single(tokenizer) == {}
