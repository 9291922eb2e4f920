"""Loss distribution by role on a real SFT batch of the tool task."""

from harness.learning.tasks import LOOKUP


def test_only_assistant_tokens_are_trained_and_counts_add_up():
    from harness.adapters.trl import sft_collated_batch
    from harness.learning.loss_stats import loss_distribution
    from harness.learning.setup import fresh_model, task_tokenizer
    from harness.learning.sizes import CPU

    tokenizer = task_tokenizer()
    model = fresh_model(tokenizer, CPU, seed=0)
    batch = sft_collated_batch(tokenizer, LOOKUP.sft_rows(4, seed=3, wrong_fraction=0.0), model)
    report = loss_distribution(model, tokenizer, batch)
    by_role = report["by_role"]
    assert {"system", "user", "assistant", "tool"} <= set(by_role)
    assert by_role["assistant"]["trained"]["count"] == report["active_tokens"] > 0
    for role in ("system", "user", "tool"):
        assert by_role[role]["trained"]["count"] == 0 and by_role[role]["masked_count"] > 0
    assert 0 < report["active_fraction"] < 1
    stats = by_role["assistant"]["trained"]
    assert stats["max"] >= stats["mean"] > 0 and stats["std"] >= 0
