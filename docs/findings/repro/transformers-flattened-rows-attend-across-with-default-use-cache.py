"""transformers 5.25.0: a row flattened by DataCollatorWithFlattening (position ids restarting at 0 per sequence, no
attention mask), fed to a model called with its config's default use_cache=True, attends across the packed
sequences under the default attention (sdpa) and under eager: a cache is built, and masking_utils'
packed-sequence detection runs only without a cache. Trainer sets use_cache=False and is not affected; a
hand-written loop that calls model(**batch) is.

    pip install transformers==5.25.0 torch
    python transformers-flattened-rows-attend-across-with-default-use-cache.py [TOKENIZER]

TOKENIZER: any chat tokenizer folder or Hub id (default Qwen/Qwen2.5-0.5B-Instruct); the model is a tiny random
Qwen2 built from a config (nothing else is downloaded). Two chat rows are flattened into one; for every token of the
second row the script prints its label (trained = the collator's label is the token) and its loss alone, packed with
use_cache=False, and packed with the default use_cache.
"""

import sys

import torch
from transformers import AutoTokenizer, DataCollatorWithFlattening, Qwen2Config, Qwen2ForCausalLM

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-0.5B-Instruct")
conversations = [
    [{"role": "user", "content": "What is the capital of France?"}, {"role": "assistant", "content": "Paris."}],
    [{"role": "user", "content": "What is 17 + 25?"}, {"role": "assistant", "content": "42."}],
]


def row(messages):
    """input_ids and labels of one conversation, the assistant's answer trained (labels unshifted, -100 = not)."""
    prompt = tokenizer.apply_chat_template(messages[:1], add_generation_prompt=True, tokenize=True, return_dict=True)
    full = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)
    ids = list(full["input_ids"])
    n = len(prompt["input_ids"])
    return {"input_ids": ids, "labels": [-100] * n + ids[n:]}


rows = [row(m) for m in conversations]
batch = DataCollatorWithFlattening()(rows)  # input_ids, labels, position_ids; no attention_mask
print("position_ids restart at", [i for i, p in enumerate(batch["position_ids"][0].tolist()) if p == 0])

config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=4)
print(f"config.use_cache = {config.use_cache}")
failures = []
for implementation in ("sdpa", "eager"):
    torch.manual_seed(0)  # the same weights for both attention implementations
    model = Qwen2ForCausalLM(config)
    model.set_attn_implementation(implementation)
    model.train()  # dropout is 0 for Qwen2: train mode changes nothing but what a training loop sets


    def token_losses(**inputs):
        logits = model(**inputs).logits[0].float()
        labels = inputs["labels"][0]
        # the model's own shift: position t predicts labels[t + 1]
        losses = torch.nn.functional.cross_entropy(logits[:-1], labels[1:], ignore_index=-100, reduction="none")
        return torch.cat([torch.zeros(1), losses])  # loss of the token at t (0 for the first)


    second = slice(len(rows[0]["input_ids"]), batch["input_ids"].shape[1])
    alone = token_losses(input_ids=torch.tensor([rows[1]["input_ids"]]), labels=torch.tensor([rows[1]["labels"]]))
    packed_no_cache = token_losses(**batch, use_cache=False)[second]
    packed_default = token_losses(**batch)[second]  # the config's use_cache=True: what model(**batch) does
    with torch.no_grad():  # the final hidden state of every position, packed (default use_cache) vs each row alone
        hidden = model(**batch, output_hidden_states=True).hidden_states[-1][0]
        own = torch.cat([model(input_ids=torch.tensor([r["input_ids"]]), output_hidden_states=True).hidden_states[-1][0]
                         for r in rows])
    moved = [(hidden[i] - own[i]).abs().max().item() > 1e-5 for i in range(len(own))]
    n0 = len(rows[0]["input_ids"])
    print(f"\nattention {implementation!r}: final hidden state differs from the row's own at {sum(moved[:n0])} of "
          f"{n0} positions of the first conversation and {sum(moved[n0:])} of {len(own) - n0} of the second")
    print(f"attention {implementation!r}: the second conversation's tokens in the flattened row")
    print(" idx      id label     loss alone  packed use_cache=False  packed default use_cache   token")
    labels = rows[1]["labels"]
    for t, token in enumerate(rows[1]["input_ids"]):
        mark = "trained" if labels[t] != -100 else "untrained"
        print(f"{t:4d} {token:7d} {mark:9s} {alone[t]:10.4f}  {packed_no_cache[t]:22.4f}  {packed_default[t]:24.4f}   "
              f"{tokenizer.decode([token])!r}")
    trained = [t for t in range(len(labels)) if labels[t] != -100]
    if not torch.allclose(alone, packed_no_cache, atol=1e-5):
        print(f"NOT REPRODUCED: with use_cache=False the packed row differs from the row alone ({implementation})")
        sys.exit(1)
    changed = [t for t in trained if abs(packed_default[t] - alone[t]) > 1e-4]
    if changed:
        shown = ", ".join(f"{tokenizer.decode([rows[1]['input_ids'][t]])!r} ({alone[t]:.4f} -> "
                          f"{packed_default[t]:.4f})" for t in changed)
        failures.append(f"{implementation}: hidden state of all {sum(moved[n0:])} positions of the second conversation, "
                        f"trained tokens {shown}")

if failures:
    print("\nREPRODUCED: model(**batch) on a DataCollatorWithFlattening row with the default use_cache=True lets the "
          "second conversation attend to the first; its trained tokens' losses change from their loss alone - "
          + "; ".join(failures))
else:
    print("NOT REPRODUCED: the packed row's losses equal the rows' own with the default use_cache")
    sys.exit(1)
