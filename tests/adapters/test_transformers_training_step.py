"""transformers' ``Trainer`` as training steps (``harness.adapters.transformers.training_step``): padded over emulated
devices and accumulation steps, judged at the loss on fixed conversations."""

import pytest

from tests.loss.conftest import CONVERSATIONS


@pytest.fixture(scope="module")
def qwen(load_tokenizer_or_skip):
    return load_tokenizer_or_skip("qwen2.5-instruct")


@pytest.fixture(scope="module")
def model(qwen):
    from harness.adapters.transformers import tiny_causal_lm
    from harness.loss.attribution import only_final_norm_trainable

    return only_final_norm_trainable(tiny_causal_lm(qwen, hidden_size=16, layers=1, seed=0))


def _keys(qwen, model, step, normalization):
    from harness.loss.judging import findings, run_step
    from harness.masking.oracle import Policy

    view = run_step(step, model, qwen, CONVERSATIONS, policy=Policy(), normalization=normalization)
    return len(view.forwards), [f.key for f in findings(view, qwen)]


@pytest.mark.parametrize("options", [{"gradient_accumulation_steps": 3}, {"devices": 3}])
def test_the_trainer_weighs_each_token_one_over_the_steps_tokens(qwen, model, options):
    from harness.adapters.transformers.training_step import padded_reference_step

    assert _keys(qwen, model, padded_reference_step(qwen, **options), "token") == (3, [])


def test_without_averaging_across_devices_each_device_takes_its_own_mean(qwen, model):
    """The conversations' trained tokens (3, 5, 9) on three devices: each device's mean weighs 1/(3 * n_r), which
    the token mean (1/17) is not: documented as the non-averaged alternative, so judged under micro_batch_token."""
    from harness.adapters.transformers.training_step import padded_reference_step

    step = padded_reference_step(qwen, devices=3, average_tokens_across_devices=False)
    assert step.normalization == "micro_batch_token"
    assert _keys(qwen, model, step, "micro_batch_token") == (3, [])
    assert _keys(qwen, model, step, "token") == (3, ["token_weight[mean per micro-batch]"])


def test_a_step_too_small_for_its_devices_is_a_clear_error(qwen, model):
    from harness.adapters.transformers.training_step import padded_reference_step

    with pytest.raises(ValueError, match="cannot fill 2 device"):
        padded_reference_step(qwen, devices=2, gradient_accumulation_steps=2)(model, CONVERSATIONS)
    with pytest.raises(ValueError, match="devices must be a positive int"):
        padded_reference_step(qwen, devices=0)
