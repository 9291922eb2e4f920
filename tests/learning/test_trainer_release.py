"""A model comes out of a trl trainer usable on its own: no accelerate forward wrapper left on it (a deepcopy of a
wrapped model keeps running the original's weights, so every GRPO condition would train a copy it never uses),
and no gradient checkpointing."""

import copy
import tempfile


def test_sft_leaves_a_deep_copyable_model():
    import torch

    from harness.adapters.trl import run_sft
    from harness.learning.setup import fresh_model, task_tokenizer
    from harness.learning.sizes import CPU
    from harness.learning.tasks import COPY

    tokenizer = task_tokenizer()
    model = fresh_model(tokenizer, CPU, seed=0)
    run_sft(model, tokenizer, COPY.sft_rows(4, seed=0), steps=2, batch_size=2, learning_rate=1e-3, seed=0,
            output_dir=tempfile.mkdtemp())
    assert "forward" not in model.__dict__
    assert not model.is_gradient_checkpointing
    clone = copy.deepcopy(model)
    ids = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        for p in clone.parameters():
            p.zero_()
        assert not torch.equal(model(input_ids=ids).logits, clone(input_ids=ids).logits)
