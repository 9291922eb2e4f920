"""Per-position gradient attribution through SFTTrainer's own loss, on a batch from its real collator."""

import pytest

from harness.learning.tasks import LOOKUP


@pytest.fixture(scope="module")
def setup():
    from harness.adapters.trl import sft_collated_batch, sft_loss_fn
    from harness.learning.setup import fresh_model, task_tokenizer
    from harness.learning.sizes import CPU

    tokenizer = task_tokenizer()
    model = fresh_model(tokenizer, CPU, seed=0)
    batch = sft_collated_batch(tokenizer, LOOKUP.sft_rows(3, seed=5), model)
    return tokenizer, model, batch, sft_loss_fn(tokenizer, model)


def test_gradient_reaches_exactly_the_trained_positions(setup):
    from harness.learning.gradient_check import attribute

    _, model, batch, loss_fn = setup
    attribution = attribute(model, batch, loss_fn)
    assert any(any(row) for row in attribution.expected)
    assert attribution.mismatches == []


def test_unmasked_labels_are_detected(setup):
    """Control: labels = input_ids (a pipeline that forgot the mask) sends gradient to masked positions."""
    from harness.learning.gradient_check import attribute

    _, model, batch, loss_fn = setup
    correct = attribute(model, batch, loss_fn)
    broken = attribute(model, {**batch, "labels": batch["input_ids"].clone()}, loss_fn)
    wrong = [
        (r, t) for r, row in enumerate(broken.observed) for t, seen in enumerate(row) if seen and not correct.expected[r][t]
    ]
    assert wrong, "a mask-less batch must put gradient on positions the correct mask excludes"


def test_trained_targets_change_loss_and_gradients_masked_ones_do_not(setup):
    from harness.learning.gradient_check import target_sensitivity

    tokenizer, model, batch, loss_fn = setup
    labels = batch["labels"][0]
    trained = int((labels != -100).nonzero()[0])
    masked = int((labels == -100).nonzero()[0])
    assert target_sensitivity(model, batch, loss_fn, 0, trained, len(tokenizer)) == (True, True)
    assert target_sensitivity(model, batch, loss_fn, 0, masked, len(tokenizer)) == (False, False)
