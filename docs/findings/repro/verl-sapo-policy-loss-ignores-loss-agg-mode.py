"""verl 0.9.1: with actor.policy_loss.loss_mode=sapo the policy loss ignores actor.loss_agg_mode: it is always a mean
per sequence (seq-mean-token-mean), so under the default loss_agg_mode=token-mean a short response's tokens weigh
more than a long response's, unlike every other token of the step (the entropy and KL terms do use token-mean).

    pip install verl==0.9.1 transformers
    python verl-sapo-policy-loss-ignores-loss-agg-mode.py [TOKENIZER]

TOKENIZER: a tokenizer folder or Hub id for the responses' tokens (default Qwen/Qwen2.5-0.5B-Instruct). The script
calls verl's own policy loss (core_algos.get_policy_loss_fn) the way verl/workers/utils/losses.py ppo_loss does, with
ActorConfig(loss_agg_mode="token-mean"), on two responses of different lengths, on-policy (ratio 1), advantage +1
each, and prints the gradient each response token gets from loss_mode "vanilla" (PPO clip) and "sapo". Under
token-mean every trained token's gradient is -A/N (N = the step's trained tokens); both losses have a slope of 1 in
the ratio at ratio 1, so the two columns must agree.
"""

import importlib.machinery
import sys
import types

import torch
from transformers import AutoTokenizer

try:
    import codetiming  # noqa: F401  (verl requires it; imported at load, not used by the loss)
    import orjson  # noqa: F401
except ModuleNotFoundError:  # an environment built without verl's full requirements: stand-ins, never called here
    for name in ("codetiming", "orjson"):
        if name not in sys.modules:
            try:
                __import__(name)
            except ModuleNotFoundError:
                stand_in = types.ModuleType(name)
                stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None)
                stand_in.Timer = type("Timer", (), {"__init__": lambda self, *a, **k: None})
                stand_in.dumps = stand_in.loads = lambda *a, **k: None
                sys.modules[name] = stand_in

from verl.trainer.ppo.core_algos import get_policy_loss_fn  # noqa: E402
from verl.workers.config import ActorConfig  # noqa: E402
from verl.workers.config.actor import PolicyLossConfig  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-0.5B-Instruct")
responses = ["42." + tokenizer.eos_token,
             "The answer is forty-two, the sum of seventeen and twenty-five." + tokenizer.eos_token]
rows = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in responses]
width = max(len(r) for r in rows)
mask = torch.zeros((len(rows), width), dtype=torch.bool)
for b, ids in enumerate(rows):
    mask[b, :len(ids)] = True
advantages = torch.ones((len(rows), width))
trained = int(mask.sum())


def gradients(loss_mode):
    config = ActorConfig(strategy="fsdp", ppo_mini_batch_size=1, ppo_micro_batch_size_per_gpu=len(rows),
                         use_dynamic_bsz=False, loss_agg_mode="token-mean", rollout_n=1,
                         policy_loss=PolicyLossConfig(loss_mode=loss_mode))
    config.global_batch_info.update(dp_size=1, batch_num_tokens=trained, global_batch_size=len(rows))
    log_prob = torch.full((len(rows), width), -1.0, requires_grad=True)
    loss, _ = get_policy_loss_fn(loss_mode)(old_log_prob=log_prob.detach(), log_prob=log_prob,
                                            advantages=advantages, response_mask=mask,
                                            loss_agg_mode=config.loss_agg_mode, config=config)
    loss.backward()
    return log_prob.grad


vanilla, sapo = gradients("vanilla"), gradients("sapo")
print(f"loss_agg_mode=token-mean, {trained} trained tokens: documented weight per token 1/{trained} = "
      f"{1 / trained:.4f} (gradient -A/N = {-1 / trained:.4f})")
print(" row  idx      id label     vanilla     sapo  token")
for b, ids in enumerate(rows):
    for t, token in enumerate(ids):
        print(f"{b:4d} {t:4d} {token:7d} trained {vanilla[b, t].item():9.4f} {sapo[b, t].item():9.4f}  "
              f"{tokenizer.decode([token])!r}")

expected = -1 / trained
if not torch.allclose(vanilla[mask], torch.full_like(vanilla[mask], expected), atol=1e-6):
    print("NOT REPRODUCED: vanilla is not the token mean either (the setup is wrong)")
    sys.exit(1)
short, long = sapo[0, 0].item(), sapo[1, 0].item()
if torch.allclose(sapo[mask], vanilla[mask], atol=1e-6):
    print("NOT REPRODUCED: sapo weighs every token as token-mean does")
    sys.exit(1)
print(f"REPRODUCED: loss_mode=sapo ignores loss_agg_mode=token-mean: each of row 0's {len(rows[0])} tokens gets "
      f"{short:.4f} (1/(2*{len(rows[0])}), {short / expected:.3f}x the documented {expected:.4f}) and each of row "
      f"1's {len(rows[1])} tokens {long:.4f} (1/(2*{len(rows[1])}), {long / expected:.3f}x): a mean per sequence "
      f"(seq-mean-token-mean)")
