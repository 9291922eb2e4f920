"""verl's MultiTurnSFTDataset masks, in each assistant message, as many leading tokens as the generation prompt has:
on DeepSeek-R1-Distill the first two tokens of every answer are left untrained.

    pip install verl==0.9.1 transformers==5.10.4
    python verl-generation-prompt-masked-by-count.py [TOKENIZER]   # default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B

The generation prompt verl extracts is '<｜Assistant｜><think>\\n' (3 tokens), but an assistant message in the
conversation is rendered '<｜Assistant｜>' followed directly by its answer, so `loss_mask[:3] = 0` covers the
answer's first two tokens. The script prints the tokens and their loss_mask (verl's defaults, pad_mode no_padding).
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}]
with tempfile.TemporaryDirectory() as folder:
    pd.DataFrame({"messages": [messages]}).to_parquet(f"{folder}/row.parquet")
    dataset = MultiTurnSFTDataset(f"{folder}/row.parquet", tokenizer, {"pad_mode": "no_padding"})
    row = dataset[0]
ids, mask = row["input_ids"].tolist(), row["loss_mask"].tolist()
print(f"generation prompt: {[(i, tokenizer.decode([i])) for i in dataset.generation_prompt]}")
for index, (token_id, trained) in enumerate(zip(ids, mask)):
    print(f"{index:4d} {token_id:7d} {'trained  ' if trained else 'untrained'} {tokenizer.decode([token_id])!r}")

answer = tokenizer("Hello there.", add_special_tokens=False)["input_ids"]
start = next(i for i in range(len(ids)) if ids[i:i + len(answer)] == answer)
untrained = [(ids[i], tokenizer.decode([ids[i]])) for i in range(start, start + len(answer)) if not mask[i]]
if untrained:
    print(f"REPRODUCED: the answer's first tokens {untrained} are untrained (masked as if they were the "
          f"generation prompt's '<think>\\n')")
else:
    print("NOT REPRODUCED: the whole answer is trained")
    sys.exit(1)
