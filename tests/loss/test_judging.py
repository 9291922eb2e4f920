"""The judgement at the loss on fixed steps: the unmodified reference step (one batch, and accumulated over
micro-batches) raises nothing; each planted loss bug raises exactly its own class; the weight table shows weights."""

import pytest

from harness.testing.planted_loss import PLANTED_LOSS_BUGS, reference_step
from tests.loss.conftest import CONVERSATIONS


def _judge(step, qwen, model, **options):
    from harness.loss.judging import findings, run_step
    from harness.masking.oracle import Policy

    view = run_step(step, model, qwen, CONVERSATIONS, policy=Policy(), normalization=options.get("normalization",
                                                                                                  "token"))
    return view, findings(view, qwen)


@pytest.mark.parametrize("micro_batch_size", [None, 2])
def test_reference_step_passes_whatever_the_micro_batches(qwen, tiny_model, micro_batch_size):
    view, found = _judge(reference_step(qwen, qwen.eos_token, micro_batch_size=micro_batch_size), qwen, tiny_model)
    assert found == []
    assert len(view.forwards) == (1 if micro_batch_size is None else 2)
    trained = [q for q in view.predictions if q.relative is not None]
    assert view.step_tokens == len(trained) == 17  # the answers and their <|im_end|>: 3 + 5 + 9
    assert all(abs(q.relative - 1) < 2e-3 for q in trained)


ISOLATION_BUGS = {"packed_rows_attend_across", "position_ids_not_reset", "left_padding_attended"}
UNPACKED_BUGS = sorted(set(PLANTED_LOSS_BUGS) - ISOLATION_BUGS)


@pytest.mark.parametrize("name", UNPACKED_BUGS)
def test_each_planted_loss_bug_raises_exactly_its_class(qwen, tiny_model, name):
    factory, key = PLANTED_LOSS_BUGS[name]
    _, found = _judge(factory(qwen, qwen.eos_token), qwen, tiny_model)
    assert [f.key for f in found] == [key]


def test_sequence_normalisation_accepts_the_per_sequence_mean_and_flags_the_token_mean(qwen, tiny_model):
    per_sequence, _ = PLANTED_LOSS_BUGS["mean_per_sequence"]
    _, found = _judge(per_sequence(qwen, qwen.eos_token), qwen, tiny_model, normalization="sequence")
    assert found == []
    _, found = _judge(reference_step(qwen, qwen.eos_token), qwen, tiny_model, normalization="sequence")
    assert [f.key for f in found] == ["token_weight[mean per token]"]


def test_failure_shows_each_tokens_mark_and_weight(qwen, tiny_model):
    from harness.loss.report import failure_of

    per_micro_batch, _ = PLANTED_LOSS_BUGS["mean_per_micro_batch"]
    view, found = _judge(per_micro_batch(qwen, qwen.eos_token), qwen, tiny_model)
    text = str(failure_of(found[0], view, CONVERSATIONS))
    # micro-batches [conversations 0, 1] (3 + 5 trained tokens) and [2] (9): each token weighs 1/(2 * 8) and
    # 1/(2 * 9) instead of 1/17, i.e. 17/16 and 17/18 of the documented weight.
    assert "2 forward pass(es)" in text
    row = next(line for line in text.splitlines() if "hello" in line and "◀" in line)
    assert row.split()[3:5] == ["✓", "✓"] and float(row.split()[5]) == pytest.approx(17 / 16, abs=2e-3)
    spans = next(line for line in text.splitlines() if line.startswith("weights / the documented weight"))
    weights = [float(part.split(": ")[1]) for part in spans.split("): ")[1].split("; ")]
    assert weights == pytest.approx([17 / 16, 17 / 16, 17 / 18], abs=2e-3)
    untrained = next(line for line in text.splitlines() if line.strip().startswith("30 ") and "198" in line)
    assert untrained.split()[3:6] == ["✗", "✗", "·"]


def test_a_step_that_retokenizes_is_reported_not_misjudged(qwen, tiny_model):
    def extra_token(model, conversations):
        import torch

        from harness.adapters.transformers import render

        ids = [[qwen.eos_token_id] + qwen(render(qwen, c["messages"], c["tools"]), add_special_tokens=False)[
            "input_ids"][::2] for c in conversations]
        width = max(map(len, ids))
        batch = torch.tensor([row + [qwen.pad_token_id] * (width - len(row)) for row in ids])
        return model(input_ids=batch, labels=batch).loss

    _, found = _judge(extra_token, qwen, tiny_model)
    assert {f.key for f in found} == {"rows_match_rendering"}


def test_a_step_returning_no_gradient_is_a_clear_error(qwen, tiny_model):
    import torch

    from harness.loss.judging import run_step
    from harness.masking.oracle import Policy

    def detached(model, conversations):
        with torch.no_grad():
            return model(input_ids=torch.tensor([[1, 2, 3]]), labels=torch.tensor([[1, 2, 3]])).loss

    with pytest.raises(ValueError, match="no gradient"):
        run_step(detached, tiny_model, qwen, CONVERSATIONS, policy=Policy(), normalization="token")


def _judge_packed(step, qwen, model):
    from harness.loss.judging import findings, run_step
    from harness.loss.packing import packing_findings
    from harness.masking.oracle import Policy

    view = run_step(step, model, qwen, CONVERSATIONS, policy=Policy(), normalization="token")
    return view, findings(view, qwen) + packing_findings(step, model, view, CONVERSATIONS)


def test_padding_free_trainer_step_passes_and_packs_every_conversation_in_one_row(qwen, tiny_model):
    from harness.loss.packing import packed_conversations
    from harness.testing.planted_loss import flattening_step

    view, found = _judge_packed(flattening_step(qwen, qwen.eos_token), qwen, tiny_model)
    assert found == []
    assert [tuple(f.input_ids.shape) for f in view.forwards][0][0] == 1 and packed_conversations(view) == [0, 1, 2]
    assert all(q.relative == pytest.approx(1, abs=2e-3) for q in view.predictions if q.relative is not None)


@pytest.mark.parametrize("name", ["packed_rows_attend_across", "position_ids_not_reset"])
def test_each_planted_packing_bug_raises_exactly_its_class(qwen, tiny_model, name):
    factory, key = PLANTED_LOSS_BUGS[name]
    _, found = _judge_packed(factory(qwen, qwen.eos_token), qwen, tiny_model)
    assert [f.key for f in found] == [key]


def _weighted_step(qwen, weight_of, *, scales=None, apply_scales=True):
    """A step whose trained tokens of conversation r weigh ``weight_of(r, n_r, N, R)`` (times scales[r] when
    ``apply_scales``), one padded batch; returns StepResult(loss, scales) when ``scales`` is given."""
    from harness.loss.step import StepResult
    from harness.testing.planted_loss import _pad, _rows

    def step(model, conversations):
        import torch

        rows = _rows(qwen, qwen.eos_token, conversations)
        ids, labels, mask = _pad(rows, qwen.pad_token_id)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        target = labels[:, 1:]
        per_token = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target, ignore_index=-100,
                                                      reduction="none")
        counts = (target != -100).sum(-1)
        total_tokens, R = int(counts.sum()), len(rows)
        total = 0
        for r in range(R):
            factor = weight_of(r, int(counts[r]), total_tokens, R)
            if scales is not None and apply_scales:
                factor = factor * scales[r]
            total = total + per_token[r].sum() * factor
        return total if scales is None else StepResult(total, scales=scales)

    return step


@pytest.mark.parametrize("normalization,weight_of", [
    ("sequence_sum", lambda r, n, N, R: 1 / R),
    ("fixed_length", lambda r, n, N, R: 1 / (R * 64)),
])
def test_sequence_sum_and_fixed_length_normalisations(qwen, tiny_model, normalization, weight_of):
    from harness.loss.judging import findings, run_step
    from harness.masking.oracle import Policy

    view = run_step(_weighted_step(qwen, weight_of), tiny_model, qwen, CONVERSATIONS, policy=Policy(),
                    normalization=normalization, length=64)
    assert findings(view, qwen) == []
    view = run_step(_weighted_step(qwen, lambda r, n, N, R: 1 / N), tiny_model, qwen, CONVERSATIONS,
                    policy=Policy(), normalization=normalization, length=64)
    assert [f.key for f in findings(view, qwen)] == ["token_weight[mean per token]"]


def test_scales_multiply_the_documented_weight(qwen, tiny_model):
    """An RL step: each conversation's tokens carry its advantage (negative and zero included)."""
    from harness.loss.judging import findings, run_step
    from harness.masking.oracle import Policy

    def judge(step):
        return [f.key for f in findings(run_step(step, tiny_model, qwen, CONVERSATIONS, policy=Policy(),
                                                 normalization="token"), qwen)]

    token_mean = lambda r, n, N, R: 1 / N  # noqa: E731
    assert judge(_weighted_step(qwen, token_mean, scales=[0.5, -1.25, 2.0])) == []
    assert judge(_weighted_step(qwen, token_mean, scales=[0.5, -1.25, 2.0], apply_scales=False)) == \
        ["token_weight[scale not applied]"]
    # a zero advantage trains nothing of its conversation; the others still weigh 1/N of the tokens trained
    assert judge(_weighted_step(qwen, lambda r, n, N, R: 1 / (N - 3), scales=[0.0, 1.0, -1.0])) == []
    with pytest.raises(ValueError, match="2 scale"):
        judge(_weighted_step(qwen, token_mean, scales=[1.0, 1.0], apply_scales=False))


def test_left_padding_is_isolated_with_the_attention_mask_and_attended_without(qwen, tiny_model):
    from harness.loss.judging import findings, run_step
    from harness.loss.packing import packing_findings
    from harness.masking.oracle import Policy

    def keys(step):
        view = run_step(step, tiny_model, qwen, CONVERSATIONS, policy=Policy(), normalization="token")
        assert sum(place.start > 0 for place in view.places) == 2  # the two shorter conversations are padded left
        return [f.key for f in findings(view, qwen) + packing_findings(step, tiny_model, view, CONVERSATIONS)]

    assert keys(reference_step(qwen, qwen.eos_token, left_padding=True)) == []
    factory, key = PLANTED_LOSS_BUGS["left_padding_attended"]
    assert keys(factory(qwen, qwen.eos_token)) == [key]
