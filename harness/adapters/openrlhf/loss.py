"""OpenRLHF's PPO actor loss as a training step for the check at the loss (``harness.check_training_step``).

``policy_loss_step(tokenizer, loss_agg_mode=..., policy_loss_type=...)`` -> ``step(model, conversations) ->
StepResult``: what OpenRLHF 0.11.2's ``PolicyModelActor`` does for one optimizer step (``openrlhf/trainer/ray/
ppo_actor.py``: ``ppo_train`` and ``training_step``, the non-dynamic-batch path), on the harness's model:

- each conversation is tokenized with the independent reference labels (``harness.testing.reference
  .correct_masker``: the masking is the conformance table's business, so that a row here fails only for the loss);
  the action mask is ``labels != -100`` on the predicting positions (``Actor.forward``: log-probs of the sequence
  rolled by one, the last column dropped);
- the step's conversations are ``micro_train_batch_size`` rows per micro-batch (one forward each), the micro-batches
  of one optimizer step (DeepSpeed's gradient accumulation); their normalisers come from OpenRLHF's own
  ``openrlhf.utils.loss_utils._optimizer_step_loss_norm`` (what ``iter_grad_accum_global_norm`` pairs each
  micro-batch with), their log-probs from ``openrlhf.models.utils.log_probs_from_logits``;
- on-policy: ``old_action_log_probs = action_log_probs.detach()`` (ratio 1); advantages: a fixed, distinct, non-zero
  value per conversation over its tokens (GRPO-style outcome advantages), returned as ``StepResult.scales``;
- ``openrlhf.models.loss.PolicyLoss`` built as ``PolicyModelActor.__init__`` builds it (``token_level_loss =
  loss_agg_mode == "token-mean"``, ``policy_loss_type``, clip 0.2/0.2, no dual clip, no IS correction); each
  micro-batch's loss is divided by the accumulation steps, as DeepSpeed's ``engine.backward`` scales it
  (``scale_wrt_gas``), and the micro-batches are summed.

The released functions run as they are; ``openrlhf.models``'s ``__init__`` (which imports the actor: peft and
flash-attn, CUDA only) and deepspeed (imported at the top of ``openrlhf.models.utils`` for ZeRO-3 helpers the loss
never calls) are stood in where the environment lacks them (``_openrlhf_importable``).
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

# A fixed, distinct, non-zero advantage per conversation (GRPO: one outcome advantage per response), cycled.
ADVANTAGES = (1.0, -0.5, 1.5, -2.0, 0.25, -0.75, 2.5, -1.25)

STOOD_IN = ("deepspeed",)


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
def _openrlhf_importable():
    """``openrlhf.models`` as a bare package (its submodules load from the release; its ``__init__`` does not run)
    and the stand-ins, while the loss modules load."""
    import openrlhf

    missing = tuple(r for r in STOOD_IN if r not in sys.modules and importlib.util.find_spec(r) is None)
    finder = _StandInFinder(missing) if missing else None
    if finder is not None:
        sys.meta_path.insert(0, finder)
    if "openrlhf.models" not in sys.modules:
        package = types.ModuleType("openrlhf.models")
        package.__path__ = [openrlhf.__path__[0] + "/models"]
        sys.modules["openrlhf.models"] = package
    try:
        yield
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)


def _openrlhf():
    with _openrlhf_importable():
        from openrlhf.models.loss import PolicyLoss
        from openrlhf.models.utils import log_probs_from_logits
        from openrlhf.utils.loss_utils import _optimizer_step_loss_norm
    return PolicyLoss, log_probs_from_logits, _optimizer_step_loss_norm


def policy_loss_step(tokenizer, *, loss_agg_mode: str = "token-mean", policy_loss_type: str = "ppo",
                     micro_train_batch_size: int = 2, stop: str | None = None, planted: str = ""):
    """OpenRLHF's actor loss for one optimizer step (see the module). ``planted``: a deliberate bug for the tests,
    ``"mask_ignored"`` (the action mask covers every non-padding position: prompts, tool outputs trained) or
    ``"micro_batch_norm"`` (each micro-batch normalised alone, ``batch_num_tokens`` not passed)."""
    masker = correct_masker(tokenizer, stop or tokenizer.eos_token)
    if isinstance(micro_train_batch_size, bool) or not isinstance(micro_train_batch_size, int) or \
            micro_train_batch_size < 1:
        raise ValueError(f"micro_train_batch_size must be a positive int, got {micro_train_batch_size!r}")
    if planted not in ("", "mask_ignored", "micro_batch_norm"):
        raise ValueError(f"planted must be '', 'mask_ignored' or 'micro_batch_norm', got {planted!r}")
    loaded: dict = {}

    def step(model, conversations):
        import torch

        if not loaded:
            loaded["openrlhf"] = _openrlhf()
        PolicyLoss, log_probs_from_logits, optimizer_step_loss_norm = loaded["openrlhf"]
        loss_fn = PolicyLoss(clip_eps_low=0.2, clip_eps_high=0.2, dual_clip=None,
                             token_level_loss=loss_agg_mode == "token-mean", policy_loss_type=policy_loss_type)
        rows = [masker(c["messages"], c.get("tools")) for c in conversations]
        advantages = [ADVANTAGES[r % len(ADVANTAGES)] for r in range(len(rows))]
        batches = []
        for start in range(0, len(rows), micro_train_batch_size):
            batch = rows[start:start + micro_train_batch_size]
            width = max(len(row["input_ids"]) for row in batch)
            sequences = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            action_mask = torch.zeros((len(batch), width - 1))
            advantage = torch.zeros((len(batch), width - 1))
            for b, row in enumerate(batch):
                n = len(row["input_ids"])
                sequences[b, :n] = torch.as_tensor(row["input_ids"])
                attention[b, :n] = 1
                trained = [float(lab != IGNORE) for lab in row["labels"][1:]]
                action_mask[b, :n - 1] = 1.0 if planted == "mask_ignored" else torch.as_tensor(trained)
                advantage[b, :n - 1] = advantages[start + b]
            batches.append((sequences, attention, action_mask, advantage))
        gas = len(batches)
        info = optimizer_step_loss_norm([b[2] for b in batches], None, 1, gas)
        total = 0
        for sequences, attention, action_mask, advantage in batches:
            logits = model(input_ids=sequences, attention_mask=attention).logits.float()
            # Actor.forward: log-probs of the sequence rolled by one, the last column dropped, times the action mask
            log_probs = log_probs_from_logits(logits, torch.roll(sequences, shifts=-1, dims=1))[:, :-1]
            action_log_probs = log_probs[:, -action_mask.shape[1]:] * action_mask
            kwargs = {"dp_size": 1} if planted == "micro_batch_norm" else info
            loss, *_ = loss_fn(action_log_probs, action_log_probs.detach(), advantage, action_mask=action_mask,
                               **kwargs)
            total = total + loss / gas  # DeepSpeed's engine.backward scales each micro-batch loss by 1/gas
        return StepResult(total, scales=advantages)

    return step
