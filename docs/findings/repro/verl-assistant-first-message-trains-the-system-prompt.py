"""verl's MultiTurnSFTDataset trains the template's default system prompt and the assistant header when a
conversation opens with an assistant message.

    pip install verl==0.9.1 transformers==5.10.4
    python verl-assistant-first-message-trains-the-system-prompt.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

Each message is rendered alone; message 0 keeps the system prompt the template adds by itself (``index != 0`` is the
only condition for stripping it), and an assistant message has only its first ``len(generation_prompt)`` tokens
masked. So when message 0 is an assistant greeting, everything of the default system prompt after its first tokens,
and the assistant header, is trained. The script prints the tokens and their loss_mask (verl's defaults, pad_mode
no_padding).
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
messages = [{"role": "assistant", "content": "Hi, how can I help?"},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Sunny."}]
with tempfile.TemporaryDirectory() as folder:
    pd.DataFrame({"messages": [messages]}).to_parquet(f"{folder}/row.parquet")
    row = MultiTurnSFTDataset(f"{folder}/row.parquet", tokenizer, {"pad_mode": "no_padding"})[0]
ids, mask = row["input_ids"].tolist(), row["loss_mask"].tolist()
for index, (token_id, trained) in enumerate(zip(ids, mask)):
    print(f"{index:4d} {token_id:7d} {'trained  ' if trained else 'untrained'} {tokenizer.decode([token_id])!r}")

# the tokens before the first assistant content are the template's own (system prompt and assistant header)
greeting = tokenizer("Hi", add_special_tokens=False)["input_ids"][0]
before = [(ids[i], tokenizer.decode([ids[i]])) for i in range(ids.index(greeting)) if mask[i]]
if before:
    print(f"REPRODUCED: {len(before)} tokens the template writes before the first answer are trained: "
          f"{tokenizer.decode([i for i, _ in before])!r}, from {before[:3]} to {before[-3:]}")
else:
    print("NOT REPRODUCED: nothing before the first answer is trained")
    sys.exit(1)
