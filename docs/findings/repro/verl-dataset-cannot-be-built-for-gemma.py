"""verl's MultiTurnSFTDataset cannot be built for Gemma-2/3 (or any template that enforces alternating roles).

    pip install verl==0.9.1 transformers==5.10.4
    python verl-dataset-cannot-be-built-for-gemma.py [TOKENIZER]   # default google/gemma-3-1b-it

To find the system prompt the template adds by itself, the constructor (extract_system_prompt_and_generation)
renders [user ""] and [user "", user ""]; Gemma's template raises on two consecutive user messages, so the dataset
cannot be constructed although the row itself renders fine. The script builds a one-row dataset with verl's defaults.
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "google/gemma-3-1b-it")
messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
text = tokenizer.apply_chat_template(messages, tokenize=False)
ids = tokenizer(text, add_special_tokens=False)["input_ids"]
print("the row renders fine with the template:")
for index, token_id in enumerate(ids):
    print(f"{index:4d} {token_id:7d} {tokenizer.decode([token_id])!r}")
with tempfile.TemporaryDirectory() as folder:
    pd.DataFrame({"messages": [messages]}).to_parquet(f"{folder}/row.parquet")
    try:
        dataset = MultiTurnSFTDataset(f"{folder}/row.parquet", tokenizer, {"pad_mode": "no_padding"})
    except Exception as error:  # the template's exception
        print(f"REPRODUCED: MultiTurnSFTDataset(...) raised {type(error).__name__}: {error} "
              "(extract_system_prompt_and_generation renders two consecutive user messages)")
        sys.exit(0)
row = dataset[0]
print(f"NOT REPRODUCED: the dataset was built ({len(row['input_ids'])} ids)")
sys.exit(1)
