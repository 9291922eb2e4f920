"""SkyRL's PPO policy loss as a training step for the check at the loss (``harness.check_training_step``).

``policy_loss_step(tokenizer, loss_reduction=..., policy_loss_type=...)`` -> ``step(model, conversations) ->
StepResult``: what SkyRL 0.4.0 does for one mini-batch (one optimizer step), on the harness's model:

- each conversation is tokenized with the independent reference labels (``harness.testing.reference
  .correct_masker``: the masking is the conformance table's business, so that a row here fails only for the loss);
  the loss mask is ``labels != -100`` on the predicting positions (``HFModelWrapper.forward``: log-probs of the
  sequence rolled by one, ``[:, -num_actions - 1 : -1]``);
- advantages: a fixed, distinct, non-zero value per conversation over its tokens (GRPO-style outcome advantages,
  returned as ``StepResult.scales``), rescaled for the mini-batch by SkyRL's own
  ``ppo_utils.apply_loss_reduction_to_advantages_minibatch`` (``RayPPOTrainer._normalize_advantages``,
  ``skyrl/train/trainer.py``: ``loss_reduction``, ``micro_train_batch_size_per_gpu``, ``max_seq_len``; each
  conversation its own prompt group for ``prompt_mean``);
- micro-batches of ``micro_train_batch_size_per_gpu`` rows, one forward each, log-probs from SkyRL's
  ``torch_utils.logprobs_from_logits``; on-policy ``old_log_probs = log_probs.detach()`` (ratio 1); the registered
  ``PolicyLossRegistry.get(policy_loss_type)`` with a real ``AlgorithmConfig``, whose ``reduce_loss`` sums the
  pre-scaled terms; the micro-batch losses are summed, as the worker backpropagates each unscaled
  (``PolicyWorkerBase._forward_backward_micro``, ``grad_sum_correction_factor`` = dp size 1).

The released functions run as they are, loaded with the adapter's stand-ins (``harness.adapters.skyrl._standins``).
"""

from __future__ import annotations

from harness.loss.step import StepResult
from harness.testing.reference import IGNORE, correct_masker

# A fixed, distinct, non-zero advantage per conversation (GRPO: one outcome advantage per response), cycled.
ADVANTAGES = (1.0, -0.5, 1.5, -2.0, 0.25, -0.75, 2.5, -1.25)

MAX_SEQ_LEN = 2048  # algorithm.max_seq_len for seq_mean_token_sum_norm (must be set explicitly for that mode)


def _skyrl():
    from harness.adapters.skyrl._standins import skyrl_importable

    with skyrl_importable():
        from skyrl.backends.skyrl_train.utils import ppo_utils
        from skyrl.backends.skyrl_train.utils.torch_utils import logprobs_from_logits
        from skyrl.train.config import AlgorithmConfig
    return ppo_utils, logprobs_from_logits, AlgorithmConfig


def policy_loss_step(tokenizer, *, loss_reduction: str = "token_mean", policy_loss_type: str = "regular",
                     micro_train_batch_size_per_gpu: int = 2, max_seq_len: int | None = MAX_SEQ_LEN,
                     stop: str | None = None, planted: str = ""):
    """SkyRL's policy loss for one mini-batch (see the module). ``planted``: a deliberate bug for the tests,
    ``"unnormalized"`` (the advantages not rescaled by ``apply_loss_reduction_to_advantages_minibatch``: a plain sum)
    or ``"mask_unshifted"`` (the loss mask on the predicted tokens instead of the predicting positions)."""
    masker = correct_masker(tokenizer, stop or tokenizer.eos_token)
    size = micro_train_batch_size_per_gpu
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"micro_train_batch_size_per_gpu must be a positive int, got {size!r}")
    if planted not in ("", "unnormalized", "mask_unshifted"):
        raise ValueError(f"planted must be '', 'unnormalized' or 'mask_unshifted', got {planted!r}")
    loaded: dict = {}

    def step(model, conversations):
        import torch

        if not loaded:
            loaded["skyrl"] = _skyrl()
        ppo_utils, logprobs_from_logits, AlgorithmConfig = loaded["skyrl"]
        config = AlgorithmConfig(policy_loss_type=policy_loss_type, loss_reduction=loss_reduction,
                                 max_seq_len=max_seq_len)
        # PolicyLossRegistry.get returns the local registry's function after syncing with a Ray actor when Ray is
        # initialised; ray is stood in here (answers everything), so the step reads that local registry itself
        registered = ppo_utils.PolicyLossRegistry._functions
        if policy_loss_type not in registered:
            raise ValueError(f"SkyRL registers no policy loss {policy_loss_type!r}; it has {sorted(registered)}")
        policy_loss_fn = registered[policy_loss_type]
        rows = [masker(c["messages"], c.get("tools")) for c in conversations]
        advantages = [ADVANTAGES[r % len(ADVANTAGES)] for r in range(len(rows))]
        # the mini-batch as SkyRL holds it: every row right-padded to one width, the mask on predicting positions
        width = max(len(row["input_ids"]) for row in rows)
        sequences = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        loss_mask = torch.zeros((len(rows), width - 1))
        advantage = torch.zeros((len(rows), width - 1))
        for r, row in enumerate(rows):
            n = len(row["input_ids"])
            sequences[r, :n] = torch.as_tensor(row["input_ids"])
            attention[r, :n] = 1
            labels = row["labels"][:n - 1] if planted == "mask_unshifted" else row["labels"][1:]
            loss_mask[r, :n - 1] = torch.as_tensor([float(lab != IGNORE) for lab in labels])
            advantage[r, :n - 1] = advantages[r]
        if planted != "unnormalized":
            advantage = ppo_utils.apply_loss_reduction_to_advantages_minibatch(
                advantages=advantage, loss_mask=loss_mask, loss_reduction=loss_reduction, micro_batch_size=size,
                max_seq_len=max_seq_len, prompt_boundaries=[(r, r + 1) for r in range(len(rows))])
        total = 0
        for start in range(0, len(rows), size):
            ids, mask = sequences[start:start + size], attention[start:start + size]
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
            # HFModelWrapper.forward: log-probs of the sequence rolled by one, the response's columns
            log_probs = logprobs_from_logits(logits, torch.roll(ids, shifts=-1, dims=1), inplace_backward=False)
            log_probs = log_probs[:, :-1]
            loss, _ = policy_loss_fn(log_probs, log_probs.detach(), advantage[start:start + size], config=config,
                                     loss_mask=loss_mask[start:start + size])
            total = total + loss
        return StepResult(total, scales=advantages)

    return step
