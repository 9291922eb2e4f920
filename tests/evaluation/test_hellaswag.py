"""HellaSwag evaluator: lm-eval's document processing and metrics, batching that changes no
score, and planted signal (a model trained on the gold endings vs a random-init model)."""

from __future__ import annotations

import json

import pytest

from harness.evaluation.hellaswag import (
    MultipleChoiceItem,
    evaluate_multiple_choice,
    item_from_row,
    predictions,
    preprocess,
)
from harness.evaluation.loglikelihood import encode_pair, score_batch
from harness.reports import write_json
from harness.evaluation.tiny_training import train_completions

from .conftest import tiny_gpt2
from .stats import binomial_two_sided_interval, binomial_upper_tail


def test_preprocess_matches_lm_eval_rules():
    assert preprocess("  How to cook [title] Boil water. [step] Stir. ") == "How to cook. Boil water. Stir."
    assert preprocess("a  b") == "a b"


def test_item_from_real_row(hellaswag_path):
    row = json.loads(hellaswag_path.read_text(encoding="utf-8").splitlines()[0])
    item = item_from_row(row)
    assert item.query == f"{row['activity_label']}: {row['ctx_a']} {row['ctx_b'].capitalize()}"
    assert item.choices == tuple(e.strip() for e in row["endings"])
    assert item.label == row["label"] and len(item.choices) == 4


def test_acc_norm_divides_by_characters_not_tokens():
    # Choice 1 has the higher total log-likelihood; choice 0 the higher per-character one.
    choices = ["a much longer ending here", "short"]
    acc, acc_norm, acc_bytes = predictions([-10.0, -6.0], choices)
    assert (acc, acc_norm, acc_bytes) == (1, 0, 0)
    # Bytes differ from characters on non-ASCII text: "éééé" is 4 chars, 8 bytes.
    acc, acc_norm, acc_bytes = predictions([-4.0, -1.9], ["éééé", "ab"])
    assert acc_norm == 1 and acc_bytes == 0


def test_encode_pair_moves_trailing_space_into_continuation(hellaswag_tokenizer):
    a = encode_pair(hellaswag_tokenizer, "The cat ", "sat down.")
    b = encode_pair(hellaswag_tokenizer, "The cat", " sat down.")
    assert a == b
    whole = hellaswag_tokenizer("The cat sat down.", add_special_tokens=False)["input_ids"]
    assert a.context_ids + a.continuation_ids == whole


def test_batched_scores_equal_one_by_one(hellaswag_items, hellaswag_tokenizer):
    model = tiny_gpt2(hellaswag_tokenizer, seed=3)
    pairs = [encode_pair(hellaswag_tokenizer, it.query, " " + c) for it in hellaswag_items[:5] for c in it.choices]
    batched = score_batch(model, pairs)
    single = [score_batch(model, [p])[0] for p in pairs]
    for b, s in zip(batched, single):
        assert b.num_tokens == s.num_tokens and b.is_greedy == s.is_greedy
        assert b.logprob == pytest.approx(s.logprob, abs=1e-3)


def test_real_tokenizer_path(load_tokenizer_or_skip, hellaswag_items):
    """A real tokenizer (Qwen3's 151k vocab) through the same evaluator; scores are finite."""
    tokenizer = load_tokenizer_or_skip("qwen3")
    model = tiny_gpt2(tokenizer, seed=0, n_embd=32, n_layer=1)
    result = evaluate_multiple_choice(model, tokenizer, hellaswag_items[:2], batch_items=2)
    assert result.num_items == 2 and 0.0 <= result.acc <= 1.0


def test_random_init_model_is_at_chance(hellaswag_items, hellaswag_tokenizer, harness_report_dir):
    items = hellaswag_items[:400]
    model = tiny_gpt2(hellaswag_tokenizer, seed=0)
    result = evaluate_multiple_choice(model, hellaswag_tokenizer, items, batch_items=16)
    lo, hi = binomial_two_sided_interval(len(items), 0.25, alpha=1e-4)
    write_json(harness_report_dir, "hellaswag_random_init_cpu", result.summary())
    assert lo <= result.acc <= hi, (result.acc, lo, hi)
    assert lo <= result.acc_norm <= hi, (result.acc_norm, lo, hi)


def test_model_trained_on_gold_endings_scores_far_above_chance(hellaswag_items, hellaswag_tokenizer, harness_report_dir):
    items = hellaswag_items[:32]
    model = tiny_gpt2(hellaswag_tokenizer, seed=0)
    losses = train_completions(
        model, hellaswag_tokenizer, [(it.query, " " + it.choices[it.label]) for it in items], steps=60, lr=5e-3
    )
    assert losses[-1] < losses[0]
    result = evaluate_multiple_choice(model, hellaswag_tokenizer, items, batch_items=12)
    write_json(harness_report_dir, "hellaswag_planted_signal_cpu", result.summary())
    hits, hits_norm = round(result.acc * len(items)), round(result.acc_norm * len(items))
    # Under chance (p=0.25) seeing this many hits has probability < 1e-9.
    assert binomial_upper_tail(hits, len(items), 0.25) < 1e-9, result.acc
    assert binomial_upper_tail(hits_norm, len(items), 0.25) < 1e-9, result.acc_norm


def test_multiple_choice_items_with_unequal_choice_counts(hellaswag_tokenizer):
    model = tiny_gpt2(hellaswag_tokenizer, seed=1)
    items = [
        MultipleChoiceItem("A man is", ("running.", "eating a sandwich."), 0),
        MultipleChoiceItem("The dog", ("barks.", "sleeps.", "jumps over the fence."), 2),
    ]
    result = evaluate_multiple_choice(model, hellaswag_tokenizer, items, batch_items=2)
    assert result.num_items == 2 and len(result.predictions) == 2
    assert all(0 <= p < len(it.choices) for p, it in zip(result.predictions, items))
