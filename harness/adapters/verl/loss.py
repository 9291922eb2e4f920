"""verl's PPO actor loss as a training step for the check at the loss (``harness.check_training_step``).

``policy_loss_step(tokenizer, loss_agg_mode=..., loss_mode=...)`` -> ``step(model, conversations) ->
StepResult``: what verl 0.9.1's engine actor does for one PPO mini-batch (``verl/workers/utils/losses.py``
``ppo_loss``), on the harness's model:

- each conversation is tokenized with the independent reference labels (``harness.testing.reference
  .correct_masker``; the masking itself is the conformance table's business, so that a row here fails only for the
  loss); the response mask is ``labels != -100``, shifted to the predicting positions as verl's
  ``no_padding_2_padding`` aligns log-probs (position ``t`` predicts token ``t+1``);
- the mini-batch is split into micro-batches of ``micro_batch_size`` rows (one forward each); each micro-batch's
  per-token log-probabilities come from verl's own ``verl.utils.torch_functional.logprobs_from_logits`` and are
  right-padded to ``response_length`` columns, the width of verl's ``responses`` (the rollout pads every response to
  ``rollout.response_length``; ``left_right_2_no_padding`` records it as ``max_response_len``);
- on-policy: ``old_log_prob = log_prob.detach()`` (ratio 1); advantages: a fixed, distinct, non-zero value per
  conversation broadcast over its tokens (GRPO's outcome advantages), returned as ``StepResult.scales``;
- the registered policy loss ``core_algos.get_policy_loss_fn(loss_mode)`` with a real ``ActorConfig`` whose
  ``global_batch_info`` holds what ``ppo_loss`` puts there (``dp_size`` 1, ``batch_num_tokens`` = the mini-batch's
  response tokens, ``global_batch_size`` = its rows, ``loss_scale_factor``); the micro-batch losses are summed, as
  FSDP accumulates their separate ``backward`` calls.

The released functions run as they are. What verl imports at load but never calls here is stood in where the
environment lacks it (``_verl_importable``).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

from harness.loss.step import StepResult
from harness.testing.reference import IGNORE, correct_masker

# verl's `data.max_response_length` is the rollout's `response_length`; the step pads every row's log-probs to this
# many columns (a conversation longer than it is an error, as verl would have truncated it at generation).
RESPONSE_LENGTH = 2048

# A fixed, distinct, non-zero advantage per conversation (GRPO: one outcome advantage per response), cycled.
ADVANTAGES = (1.0, -0.5, 1.5, -2.0, 0.25, -0.75, 2.5, -1.25)

# Pure-Python packages verl's `core_algos` imports at load through `verl.workers.config` -> `verl.utils.profiler`
# (codetiming's Timer) and `verl.utils` (orjson), which its loss functions never call; verl's `setup.py` requires
# them but the harness's verl environment (ENVIRONMENT, built for the SFT data path) does not install them.
STOOD_IN = ("codetiming", "orjson")


class _Anything:
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Anything()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __mro_entries__(self, bases):
        return (object,)


class _StandInModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, roots):
        self.roots = roots

    def find_spec(self, name, path, target=None):
        if any(name == root or name.startswith(root + ".") for root in self.roots):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StandInModule(spec.name)

    def exec_module(self, module):
        module.__path__ = []


@contextlib.contextmanager
def _verl_importable():
    missing = tuple(r for r in STOOD_IN if r not in sys.modules and importlib.util.find_spec(r) is None)
    finder = _StandInFinder(missing) if missing else None
    if finder is not None:
        sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)


def _verl():
    """verl's loss functions and actor config (imported once, in the trainer's environment)."""
    with _verl_importable():
        from verl.trainer.ppo import core_algos
        from verl.utils.torch_functional import logprobs_from_logits
        from verl.workers.config import ActorConfig
    return core_algos, logprobs_from_logits, ActorConfig


def _actor_config(ActorConfig, *, loss_agg_mode: str, loss_mode: str, loss_scale_factor, micro_batch_size: int):
    from verl.workers.config.actor import PolicyLossConfig

    return ActorConfig(strategy="fsdp", ppo_mini_batch_size=1, ppo_micro_batch_size_per_gpu=micro_batch_size,
                       use_dynamic_bsz=False, loss_agg_mode=loss_agg_mode, loss_scale_factor=loss_scale_factor,
                       rollout_n=1, policy_loss=PolicyLossConfig(loss_mode=loss_mode))


def policy_loss_step(tokenizer, *, loss_agg_mode: str = "token-mean", loss_mode: str = "vanilla",
                     micro_batch_size: int = 2, response_length: int = RESPONSE_LENGTH,
                     loss_scale_factor: int | None = None, stop: str | None = None, planted: str = ""):
    """verl's actor loss for one mini-batch (see the module). ``planted``: a deliberate bug for the tests,
    ``"mask_unshifted"`` (the response mask left on the predicted tokens instead of the predicting positions) or
    ``"local_batch_info"`` (``global_batch_info`` left empty, so each micro-batch is normalised by its own token
    count, and the micro-batch losses divided by their number: the pre-``global_batch_info`` actor's
    ``loss / gradient_accumulation``)."""
    masker = correct_masker(tokenizer, stop or tokenizer.eos_token)
    if isinstance(micro_batch_size, bool) or not isinstance(micro_batch_size, int) or micro_batch_size < 1:
        raise ValueError(f"micro_batch_size must be a positive int, got {micro_batch_size!r}")
    if planted not in ("", "mask_unshifted", "local_batch_info"):
        raise ValueError(f"planted must be '', 'mask_unshifted' or 'local_batch_info', got {planted!r}")
    loaded: dict = {}

    def step(model, conversations):
        import torch

        if not loaded:
            loaded["verl"] = _verl()
        core_algos, logprobs_from_logits, ActorConfig = loaded["verl"]
        rows = [masker(c["messages"], c.get("tools")) for c in conversations]
        for r, row in enumerate(rows):
            if len(row["input_ids"]) > response_length + 1:
                raise ValueError(f"conversation {r} has {len(row['input_ids'])} tokens, more than response_length "
                                 f"{response_length} + 1: raise response_length")
        # position t predicts token t+1: its mask is the label of t+1 (verl's shift of log-probs to the response)
        masks = [[float(lab != IGNORE) for lab in (row["labels"] if planted == "mask_unshifted"
                                                   else row["labels"][1:])][:len(row["input_ids"]) - 1]
                 for row in rows]
        advantages = [ADVANTAGES[r % len(ADVANTAGES)] for r in range(len(rows))]
        config = _actor_config(ActorConfig, loss_agg_mode=loss_agg_mode, loss_mode=loss_mode,
                               loss_scale_factor=loss_scale_factor, micro_batch_size=micro_batch_size)
        if planted != "local_batch_info":
            config.global_batch_info.update(dp_size=1, batch_num_tokens=int(sum(sum(m) for m in masks)),
                                            global_batch_size=len(rows), loss_scale_factor=loss_scale_factor)
        policy_loss_fn = core_algos.get_policy_loss_fn(loss_mode)
        total = 0
        for start in range(0, len(rows), micro_batch_size):
            batch = rows[start:start + micro_batch_size]
            width = max(len(row["input_ids"]) for row in batch)
            ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for b, row in enumerate(batch):
                ids[b, :len(row["input_ids"])] = torch.as_tensor(row["input_ids"])
                attention[b, :len(row["input_ids"])] = 1
            logits = model(input_ids=ids, attention_mask=attention).logits.float()
            token_logp = logprobs_from_logits(logits[:, :-1], ids[:, 1:])
            # verl's padded layout: each row's log-probs from column 0, zeros beyond it, ``response_length`` wide
            valid = attention[:, 1:].to(token_logp.dtype)
            log_prob = torch.nn.functional.pad(token_logp * valid, (0, response_length - (width - 1)))
            response_mask = torch.zeros((len(batch), response_length), dtype=torch.bool)
            advantage = torch.zeros((len(batch), response_length))
            for b, row in enumerate(batch):
                n = len(row["input_ids"]) - 1
                response_mask[b, :n] = torch.as_tensor(masks[start + b], dtype=torch.bool)
                advantage[b, :n] = advantages[start + b]
            loss, _ = policy_loss_fn(old_log_prob=log_prob.detach(), log_prob=log_prob, advantages=advantage,
                                     response_mask=response_mask, loss_agg_mode=loss_agg_mode, config=config)
            if planted == "local_batch_info":
                loss = loss / -(-len(rows) // micro_batch_size)
            total = total + loss
        return StepResult(total, scales=advantages)

    return step
