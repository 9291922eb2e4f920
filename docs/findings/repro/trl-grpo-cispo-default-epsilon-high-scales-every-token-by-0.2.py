"""trl 1.16.0: GRPOConfig(loss_type="cispo") with epsilon_high left at its default (epsilon's 0.2) caps every token's
importance weight at 0.2 (torch.clamp(ratio, max=epsilon_high), grpo_trainer.py l. 3110-3111), so on-policy
(ratio 1) each trained token carries 0.2 x the weight it has with the documented recommendation epsilon_high=5.0.

    pip install trl==1.16.0 transformers==5.25.0
    python trl-grpo-cispo-default-epsilon-high-scales-every-token-by-0.2.py [TOKENIZER]

TOKENIZER: a chat tokenizer folder or Hub id (default Qwen/Qwen2.5-0.5B-Instruct); the model is a tiny random Qwen2
built from a config. The script builds GRPOTrainer twice (epsilon_high unset, and 5.0), runs its own
_compute_loss on the same on-policy batch (one prompt, two completions, advantages +1 and -1) and prints, per
completion token, the gradient norm of the loss at the model's final hidden state under each setting.
"""

import sys
import tempfile

import torch
from datasets import Dataset
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM
from trl import GRPOConfig, GRPOTrainer

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-0.5B-Instruct")
if tokenizer.pad_token is None:
    tokenizer.pad_token = tokenizer.eos_token
prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is 17 + 25?"}], add_generation_prompt=True,
                                       tokenize=True, return_dict=True)["input_ids"]
completions = [tokenizer("42." + tokenizer.eos_token, add_special_tokens=False)["input_ids"],
               tokenizer("Forty-one." + tokenizer.eos_token, add_special_tokens=False)["input_ids"]]
width = max(map(len, completions))
completion_ids = torch.full((2, width), tokenizer.pad_token_id)
completion_mask = torch.zeros((2, width), dtype=torch.long)
for b, ids in enumerate(completions):
    completion_ids[b, :len(ids)] = torch.tensor(ids)
    completion_mask[b, :len(ids)] = 1


def hidden_gradients(epsilon_high):
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                         pad_token_id=tokenizer.pad_token_id))
    args = GRPOConfig(output_dir=tempfile.mkdtemp(), loss_type="cispo", epsilon_high=epsilon_high, beta=0.0,
                      per_device_train_batch_size=2, num_generations=2, max_completion_length=width, bf16=False,
                      use_cpu=True, report_to=[], learning_rate=0.0)
    trainer = GRPOTrainer(model=model, reward_funcs=[lambda completions, **kw: [0.0] * len(completions)], args=args,
                          processing_class=tokenizer,
                          train_dataset=Dataset.from_list([{"prompt": [{"role": "user", "content": "x"}]}]))
    captured = {}

    def keep(module, inputs, output):
        output.retain_grad()
        captured["hidden"] = output

    handle = trainer.model.model.norm.register_forward_hook(keep)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1  # set by Trainer.train for each optimizer step
    inputs = {"prompt_ids": torch.tensor([prompt, prompt]), "prompt_mask": torch.ones((2, len(prompt)), dtype=torch.long),
              "completion_ids": completion_ids, "completion_mask": completion_mask,
              "advantages": torch.tensor([1.0, -1.0]), "num_items_in_batch": completion_mask.sum().float()}
    loss = trainer._compute_loss(trainer.model, inputs)
    loss.backward()
    handle.remove()
    # position p's hidden state predicts token p + 1: completion token t is predicted at len(prompt) - 1 + t
    grads = captured["hidden"].grad.norm(dim=-1)
    return trainer.epsilon_high, grads[:, len(prompt) - 1:len(prompt) - 1 + width]


default_eps, default = hidden_gradients(None)
_, recommended = hidden_gradients(5.0)
print(f"epsilon_high used by default: {default_eps} (epsilon); recommended for cispo: 5.0")
print(" row  idx      id label     |grad| default  |grad| 5.0   ratio  token")
ratios = []
for b, ids in enumerate(completions):
    for t, token in enumerate(ids):
        ratio = (default[b, t] / recommended[b, t]).item()
        ratios.append(ratio)
        print(f"{b:4d} {t:4d} {token:7d} trained   {default[b, t].item():14.6f} {recommended[b, t].item():11.6f} "
              f"{ratio:7.3f}  {tokenizer.decode([token])!r}")
if all(abs(r - 0.2) < 1e-3 for r in ratios):
    print(f"REPRODUCED: with loss_type='cispo' and the default epsilon_high={default_eps}, every trained token's "
          f"gradient is 0.200 x its gradient with epsilon_high=5.0 ({len(ratios)} tokens): the importance weight "
          f"clamp(1, max={default_eps}) = {default_eps} on-policy")
else:
    print(f"NOT REPRODUCED: gradient ratios {ratios}")
    sys.exit(1)
