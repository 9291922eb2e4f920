"""trl's SFTTrainer step (``harness.adapters.trl.sft_training_step``) at the loss: its own dataset preparation,
collator and ``compute_loss`` on qwen2.5-instruct. The loss itself is right (every trained token weighs 1/N over the
step, every target is the next token); the one disagreement with the oracle is the known label defect of trl's
qwen2.5 training template (docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-newline.md)."""

import pytest

from harness.masking.oracle import Policy
from tests.loss.conftest import CONVERSATIONS

# trl's documented convention, with the header's newline (the known defect) accepted either way.
HEADER_NEWLINE_SET_ASIDE = Policy(train_glue_after_stop=True, train_header_whitespace=None)


@pytest.fixture(scope="module")
def trl_step(qwen):
    from harness.adapters.trl import sft_training_step

    return sft_training_step(qwen)


def _judge(step, qwen, model, policy):
    from harness.loss.judging import findings, run_step

    view = run_step(step, model, qwen, CONVERSATIONS, policy=policy, normalization=step.normalization)
    return view, findings(view, qwen)


def test_trl_sft_loss_is_the_token_mean_over_the_step(qwen, tiny_model, trl_step):
    view, found = _judge(trl_step, qwen, tiny_model, HEADER_NEWLINE_SET_ASIDE)
    assert found == []
    trained = [q for q in view.predictions if q.relative is not None]
    # 17 generated tokens, the '\n' after each of the 4 <|im_end|> (trl's convention) and the 4 header '\n'.
    assert view.step_tokens == len(trained) == 25
    assert all(q.relative == pytest.approx(1, abs=2e-3) and abs(q.cosine) > 0.999 for q in trained)


@pytest.mark.xfail(strict=True, reason="trl 1.16.0: qwen2_5_training.jinja opens {% generation %} before the '\\n' "
                   "(id 198) that ends '<|im_start|>assistant\\n', so SFTTrainer's loss gives that untrained token "
                   "the full weight 1/N (docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-"
                   "newline.md)")
def test_trl_sft_loss_trains_only_generated_tokens(qwen, tiny_model, trl_step):
    from harness.adapters.trl import TRL_SFT_POLICY

    _, found = _judge(trl_step, qwen, tiny_model, TRL_SFT_POLICY)
    assert [f.key for f in found] == [], "\n".join(map(str, found))


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "datasets 5.2.0 (pyarrow 26.0.1): a dataset built as trl documents for tool calls (Dataset.from_list(rows, "
    "on_mixed_types='use_json')) turns a tool-call argument -0.0 into 0.0, so the row trl trains writes "
    "'\"gxitpecb\": 0.0' where the template renders '\"gxitpecb\": -0.0' (the '-' token is lost): "
    "rows_match_rendering on the search's seed-0 draw. Pinned by test_a_json_typed_dataset_loses_negative_zero"))
def test_trl_sft_step_passes_the_search(qwen):
    from harness import check_training_step
    from harness.adapters.trl import sft_training_step

    report = check_training_step(sft_training_step(qwen), qwen, policy=HEADER_NEWLINE_SET_ASIDE, max_examples=8)
    assert report.passed, str(report)


def test_a_json_typed_dataset_loses_negative_zero():
    """What the search above meets, at the data: datasets' Json type drops the sign of -0.0 (a plain dataset keeps
    it). When this fails, datasets has changed: the strict xfail above should then pass."""
    from harness.adapters.trl.dataset_files import json_typed_round_trip

    assert json_typed_round_trip({"r": -0.0, "a": 1}) == {"r": 0.0, "a": 1}
    assert str(json_typed_round_trip({"r": -0.0, "a": 1})["r"]) == "0.0"
