"""GSM8K exact match: gold parsing on every real answer, extraction against known right and wrong
completions, and the generation loop with planted signal on a tiny model."""

from __future__ import annotations

import pytest

from harness.evaluation.gsm8k import (
    build_prompt,
    evaluate_gsm8k,
    extract_predicted_answer,
    is_exact_match,
    load_gsm8k,
    normalize_number,
    parse_gold_answer,
)
from harness.reports import write_json
from harness.evaluation.tiny_training import train_completions

from .conftest import tiny_gpt2


@pytest.fixture(scope="module")
def gsm8k_rows(gsm8k_path):
    return load_gsm8k(gsm8k_path)


def test_every_real_gold_answer_parses_and_matches_itself(gsm8k_rows):
    assert len(gsm8k_rows) == 1319
    for row in gsm8k_rows:
        gold = parse_gold_answer(row["answer"])
        assert normalize_number(gold) == gold
        # The reference solution itself is a correct completion ("#### N" at the end)...
        assert is_exact_match(row["answer"], row["answer"])
        # ...and so is its reasoning with the answer in tags instead.
        reasoning = row["answer"].rpartition("####")[0]
        assert is_exact_match(f"{reasoning}<answer>{gold}</answer>", row["answer"])


def test_wrong_final_number_is_not_a_match(gsm8k_rows):
    for row in gsm8k_rows[:200]:
        gold = parse_gold_answer(row["answer"])
        wrong = str(int(float(gold)) + 1)
        reasoning = row["answer"].rpartition("####")[0]
        assert not is_exact_match(f"{reasoning}#### {wrong}", row["answer"])
        assert not is_exact_match(f"{reasoning}<answer>{wrong}</answer>", row["answer"])


JANET = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"


@pytest.mark.parametrize(
    "completion, correct",
    [
        ("She has 9 eggs, 9 * 2 = 18 dollars. <answer>18</answer>", True),
        ("<answer>$18.00</answer>", True),
        ("<answer> 18 </answer> (I first thought 20)", True),  # the tag wins over the last number
        ("So the answer is 18.", True),  # last number
        ("#### 18", True),
        ("The answer is $18", True),
        ("9 * 2 = 18, so she makes 18 dollars, minus 2 is 16", False),  # last number is 16
        ("<answer>16</answer> ... actually 18", False),  # the tag wins
        ("<answer>18</answer> <answer>20</answer>", False),  # the LAST tag counts
        ("I do not know.", False),  # nothing extracted
        ("180", False),
    ],
)
def test_exact_match_on_known_completions(completion, correct):
    assert is_exact_match(completion, JANET) is correct


def test_number_normalisation():
    assert normalize_number("1,000") == "1000"
    assert normalize_number("$5.50") == "5.5"
    assert normalize_number("18.00") == normalize_number("18") == "18"
    assert normalize_number("-3") == "-3"
    assert normalize_number("eighteen") is None
    assert extract_predicted_answer("no digits here") is None


@pytest.fixture(scope="module")
def gsm8k_tokenizer(gsm8k_rows):
    from harness.adapters.transformers import train_bpe_tokenizer

    texts = [r["question"] + " " + r["answer"] for r in gsm8k_rows[:300]] + ["<answer>0123456789</answer>"]
    return train_bpe_tokenizer(texts, 800)


def test_prompt_formats(gsm8k_tokenizer):
    question = "What is 2 + 3?"
    chat = build_prompt(gsm8k_tokenizer, question)
    assert question in chat and chat.endswith("<|assistant|>") and "<answer>" in chat
    plain = gsm8k_tokenizer.__class__(tokenizer_object=gsm8k_tokenizer.backend_tokenizer, eos_token="<|endoftext|>")
    plain.chat_template = None
    assert build_prompt(plain, question) == "Question: What is 2 + 3?\nAnswer:"


def test_generation_loop_untrained_vs_planted(gsm8k_rows, gsm8k_tokenizer, harness_report_dir):
    rows = gsm8k_rows[:6]
    model = tiny_gpt2(gsm8k_tokenizer, seed=0, n_positions=512)
    untrained = evaluate_gsm8k(model, gsm8k_tokenizer, rows, max_new_tokens=12, batch_size=6)
    assert untrained.num_items == 6 and 0.0 <= untrained.accuracy <= 1.0
    assert len(untrained.records) == 6 and all(r["gold"] == parse_gold_answer(x["answer"]) for r, x in zip(untrained.records, rows))

    pairs = [(build_prompt(gsm8k_tokenizer, r["question"]), f"<answer>{parse_gold_answer(r['answer'])}</answer>") for r in rows]
    train_completions(model, gsm8k_tokenizer, pairs, steps=60, lr=5e-3, batch_size=6, add_eos=True)
    trained = evaluate_gsm8k(model, gsm8k_tokenizer, rows, max_new_tokens=12, batch_size=6)
    write_json(harness_report_dir, "gsm8k_planted_signal_cpu", {"untrained": untrained.summary(), "trained": trained.summary()})
    assert untrained.accuracy <= 1 / 6  # a random-init model does not guess GSM8K answers
    assert trained.accuracy == 1.0, trained.records


def test_gsm8k_on_user_model(harness_model, gsm8k_rows, harness_report_dir):
    """With --harness-model PATH: a few items through the real model (CPU: small budget)."""
    if not harness_model:
        pytest.skip("no --harness-model given (or $HARNESS_MODEL); nothing to evaluate")
    from harness.adapters.transformers import load_causal_lm

    model, tokenizer = load_causal_lm(harness_model)
    result = evaluate_gsm8k(model, tokenizer, gsm8k_rows[:4], max_new_tokens=128, batch_size=4)
    write_json(harness_report_dir, "gsm8k_user_model_cpu", {"model": harness_model, **result.summary()})
    assert result.num_items == 4 and 0.0 <= result.accuracy <= 1.0


def test_saved_model_loads_and_evaluates_like_the_original(gsm8k_rows, gsm8k_tokenizer, tmp_path):
    """The --harness-model path: save a tiny model + tokenizer, load it back, same completions."""
    from harness.adapters.transformers import load_causal_lm

    model = tiny_gpt2(gsm8k_tokenizer, seed=4, n_positions=512)
    model.save_pretrained(tmp_path)
    gsm8k_tokenizer.save_pretrained(tmp_path)
    loaded, tokenizer = load_causal_lm(str(tmp_path), dtype="float32")
    rows = gsm8k_rows[:2]
    original = evaluate_gsm8k(model, gsm8k_tokenizer, rows, max_new_tokens=8)
    reloaded = evaluate_gsm8k(loaded, tokenizer, rows, max_new_tokens=8)
    assert [r["completion"] for r in reloaded.records] == [r["completion"] for r in original.records]
