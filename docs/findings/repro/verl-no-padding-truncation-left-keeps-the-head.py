"""verl's MultiTurnSFTDataset with pad_mode=no_padding (the SFT trainer's default) truncates an over-long row on the
right even when truncation=left is configured: the final answer is cut off and the row trains nothing. Known
upstream: verl-project/verl#6372 (closed, not merged).

    pip install verl==0.9.1 transformers==5.10.4
    python verl-no-padding-truncation-left-keeps-the-head.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

The script builds a row longer than max_length=30 and truncation=left, once with pad_mode=no_padding and once with
pad_mode=right, and prints what each keeps.
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
messages = [{"role": "user", "content": "Tell me a long story please"},
            {"role": "assistant", "content": "Once upon a time there was a dragon. The end."}]


def item(pad_mode):
    with tempfile.TemporaryDirectory() as folder:
        pd.DataFrame({"messages": [messages]}).to_parquet(f"{folder}/row.parquet")
        dataset = MultiTurnSFTDataset(f"{folder}/row.parquet", tokenizer,
                                      {"pad_mode": pad_mode, "max_length": 30, "truncation": "left"})
    return dataset[0]


kept = {}
for pad_mode in ("no_padding", "right"):
    row = item(pad_mode)
    ids, mask = row["input_ids"].tolist(), row["loss_mask"].tolist()
    if "attention_mask" in row:
        ids = [i for i, a in zip(ids, row["attention_mask"].tolist()) if a]
    kept[pad_mode] = (ids, mask)
    print(f"pad_mode={pad_mode}, truncation=left, max_length=30:")
    for index, token_id in enumerate(ids):
        print(f"{index:4d} {token_id:7d} {'trained  ' if mask[index] else 'untrained'} {tokenizer.decode([token_id])!r}")

whole = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
head, tail = kept["no_padding"][0], kept["right"][0]
print(f"the whole rendering has {len(whole)} ids")
if head == whole[:30] and tail == whole[-30:] and not any(kept["no_padding"][1]):
    print(f"REPRODUCED: with pad_mode=no_padding, truncation=left keeps the first 30 ids ({tokenizer.decode(head[:3])!r} "
          f"...) and trains nothing; pad_mode=right keeps the last 30 (... {tokenizer.decode(tail[-3:])!r})")
else:
    print("NOT REPRODUCED: truncation=left keeps the end of the row with pad_mode=no_padding")
    sys.exit(1)
