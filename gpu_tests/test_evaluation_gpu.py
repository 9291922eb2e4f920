"""GPU variants of the evaluation jobs at a useful size (skipped where torch sees no CUDA).

* HellaSwag: the whole data file (1000 items) through a GPT-2-124M-shaped model, bf16;
  throughput and the projection to the full 10,042-item validation set are printed and reported.
* GSM8K: the user's model (--harness-model PATH) on 200 test items, greedy.
"""

from __future__ import annotations

import pytest

from harness.assets.data import GSM8K_TEST_FILE, HELLASWAG_FILE, find_data_file, missing_reason
from harness.reports import write_json

pytestmark = pytest.mark.gpu


def _data(name: str):
    path = find_data_file(name)
    if path is None:
        pytest.skip(missing_reason(name))
    return path


def test_hellaswag_full_subset_gpt2_shape(load_tokenizer_or_skip, harness_report_dir):
    import torch

    from harness.adapters.transformers import build_gpt2_lm
    from harness.evaluation.hellaswag import FULL_VALIDATION_SIZE, evaluate_multiple_choice, load_hellaswag

    items = load_hellaswag(_data(HELLASWAG_FILE))
    from harness.evaluation.folded_tokenizer import FoldedTokenizer

    model = build_gpt2_lm(seed=0).to("cuda", torch.bfloat16)  # GPT2Config defaults: GPT-2 124M's shape
    tokenizer = FoldedTokenizer(load_tokenizer_or_skip("llama-3.2-instruct"), model.config.vocab_size)
    evaluate_multiple_choice(model, tokenizer, items[:64], batch_items=64)  # warm-up
    torch.cuda.synchronize()
    result = evaluate_multiple_choice(model, tokenizer, items, batch_items=64)
    torch.cuda.synchronize()
    projected = FULL_VALIDATION_SIZE / result.items_per_second
    print(f"\nHellaSwag GPT-2-124M shape on {torch.cuda.get_device_name()}: {result.items_per_second:.1f} items/s, "
          f"projected {FULL_VALIDATION_SIZE} items: {projected:.1f} s (goal < 68.6 s)")
    write_json(harness_report_dir, "hellaswag_gpt2_shape_gpu",
                  {**result.summary(), "projected_seconds_full_validation": projected,
                   "device": torch.cuda.get_device_name()})
    assert result.num_items == len(items)
    # Random weights: accuracy is at chance; 1000 items, 5 sigma ~ 0.07.
    assert abs(result.acc - 0.25) < 0.07 and abs(result.acc_norm - 0.25) < 0.07


def test_gsm8k_on_harness_model(harness_model, harness_report_dir):
    if not harness_model:
        pytest.skip("no --harness-model given (or $HARNESS_MODEL)")
    import torch

    from harness.adapters.transformers import load_causal_lm
    from harness.evaluation.gsm8k import evaluate_gsm8k, load_gsm8k

    rows = load_gsm8k(_data(GSM8K_TEST_FILE), limit=200)
    model, tokenizer = load_causal_lm(harness_model, dtype="bfloat16", device="cuda")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    result = evaluate_gsm8k(model, tokenizer, rows, max_new_tokens=384, batch_size=32)
    print(f"\nGSM8K {harness_model}: {result.accuracy:.3f} ({result.num_correct}/{result.num_items}), "
          f"{result.items_per_second:.2f} items/s on {torch.cuda.get_device_name()}")
    write_json(harness_report_dir, "gsm8k_harness_model_gpu", {"model": harness_model, **result.summary()})
    assert result.num_items == len(rows)
    assert result.num_extracted >= 0.5 * len(rows), "most completions should contain a number"


def test_grpo_trained_model_through_verifiers(harness_model, harness_report_dir, tmp_path):
    """harness.learning's GRPO-trained ``copy`` model (GPU size; the CPU variant, before vs after GRPO, is
    tests/learning/test_verifiers_after_grpo.py) vs its untrained start, evaluated through
    the verifiers environment on the loopback server: the trained one must score higher, and the
    environment's reward must agree with the learning job's own exactness criterion."""
    from harness.evaluation.served_models import evaluate_models_through_verifiers
    from harness.learning.jobs import load_model_and_tokenizer, train_single_step_model
    from harness.learning.rewards import digit_credit, extract_answer
    from harness.learning.sizes import get_size

    trained, tokenizer, task = train_single_step_model(seed=0, size="gpu", model_path=harness_model)
    untrained, _ = load_model_and_tokenizer(task, get_size("gpu"), 0, harness_model)
    untrained = untrained.to(next(trained.parameters()).device)
    rows = [{"prompt": r["prompt"], "answer": r["answer"]} for r in task.prompts(64, 999)]
    results = evaluate_models_through_verifiers({"untrained": untrained, "trained": trained}, tokenizer, rows,
                                                tmp_path, max_tokens=32, match="answer_tag")
    write_json(harness_report_dir, "verifiers_grpo_copy_model_gpu", {k: v.summary() for k, v in results.items()})
    answers = {str(r["prompt"][-1]["content"]): r["answer"] for r in rows}
    for result in results.values():
        assert result.num_errors == 0 and result.num_rollouts == len(rows)
        for reward, reply, prompt in zip(result.rewards, result.replies, result.prompts):
            assert reward == float(digit_credit(extract_answer(reply), answers[prompt]) == 1.0), reply
    assert results["trained"].mean_reward > results["untrained"].mean_reward, results["trained"].replies[:8]
