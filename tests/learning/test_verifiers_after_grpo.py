"""CPU variant of gpu_tests/test_evaluation_gpu.py::test_grpo_trained_model_through_verifiers: the single-step
``copy`` model before and after GRPO (same warm-up, CPU size), evaluated through a verifiers v1 environment on the
loopback OpenAI-compatible server with greedy decoding. Nightly (``slow``): a warm-up, a GRPO run and two evaluations.
The model is the first of the CPU seeds whose warm-up passes its precondition (``harness.learning.precondition``)."""

import copy

import pytest


@pytest.mark.slow
def test_grpo_trained_copy_model_scores_higher_through_verifiers(tmp_path, harness_report_dir):
    from harness.adapters.trl import release
    from harness.reports import write_json
    from harness.evaluation.served_models import evaluate_models_through_verifiers
    from harness.learning.jobs import grpo_condition, warm_up
    from harness.learning.precondition import check_warm_up
    from harness.learning.rewards import extract_answer
    from harness.learning.setup import get_task
    from harness.learning.sizes import get_size

    # the stricter warm-up this test was measured with (copy learned to loss 0.05, a fresh row per sample)
    task, size = get_task("copy"), get_size("cpu", "copy").with_(sft_stop_below_loss=0.05, sft_dataset_batches=None)
    checks = []
    for seed in size.seeds:
        model, tokenizer, log = warm_up(task, size, seed=seed)
        checks.append(check_warm_up(seed, task.name, log.task_phase, size.sft_stop_below_loss))
        if checks[-1].passed:
            break
    assert checks[-1].passed, "; ".join(check.message for check in checks)
    release(model)
    before_grpo = copy.deepcopy(model)
    grpo_condition(task, "correct", seed, size, model, tokenizer)
    rows = [{"prompt": r["prompt"], "answer": r["answer"]} for r in task.prompts(32, seed=999)]
    results = evaluate_models_through_verifiers({"before_grpo": before_grpo, "after_grpo": model}, tokenizer, rows,
                                                tmp_path, max_tokens=10, match="answer_tag")
    write_json(harness_report_dir, "verifiers_grpo_copy_model_cpu", {k: v.summary() for k, v in results.items()})

    answers = {r["prompt"][-1]["content"]: r["answer"] for r in rows}
    for result in results.values():
        assert result.num_errors == 0 and result.num_rollouts == len(rows)
        # the environment's reward is the job's own criterion (the answer tag holds the number), reply by reply
        for reward, reply, prompt in zip(result.rewards, result.replies, result.prompts):
            assert reward == float(extract_answer(reply) == answers[prompt]), (prompt, reply)
    before, after = results["before_grpo"].mean_reward, results["after_grpo"].mean_reward
    assert after >= before + 0.25, {"before_grpo": before, "after_grpo": after}
