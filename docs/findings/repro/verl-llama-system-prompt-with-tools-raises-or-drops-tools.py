"""verl's MultiTurnSFTDataset cannot train a Llama-3.1 row with a system prompt and tools (sanity_check raises), and
with ignore_input_ids_mismatch=True trains it on a prompt without its tools. Same cause as verl-project/verl#7322:
an initial system message rendered alone.

    pip install verl==0.9.1 transformers==5.10.4
    python verl-llama-system-prompt-with-tools-raises-or-drops-tools.py [TOKENIZER]   # default meta-llama/Llama-3.1-8B-Instruct

Tools are passed only with message 0; Llama-3.1 puts them into the first user message, so rendering the system
message alone with tools raises ("Cannot put tools in the first user message when there's no first user message!"),
verl's apply_chat_template falls back to a dummy-user rendering, and the user message is rendered without tools.
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "meta-llama/Llama-3.1-8B-Instruct")
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Sunny."}]


def item(**config):
    with tempfile.TemporaryDirectory() as folder:
        pd.DataFrame({"messages": [messages], "tools": [tools]}).to_parquet(f"{folder}/row.parquet")
        dataset = MultiTurnSFTDataset(f"{folder}/row.parquet", tokenizer,
                                      {"pad_mode": "no_padding", "max_length": 4096, **config})
    return dataset[0]


try:
    item()
    raised = None
except AssertionError as error:
    raised = str(error).splitlines()[0]
print(f"defaults: {'AssertionError: ' + raised if raised else 'no error'}")

row = item(ignore_input_ids_mismatch=True)
ids, mask = row["input_ids"].tolist(), row["loss_mask"].tolist()
whole = tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, return_dict=True)["input_ids"]
print(f"ignore_input_ids_mismatch=True: {len(ids)} ids; the whole rendering (with the tools) has {len(whole)}")
for index, (token_id, trained) in enumerate(zip(ids, mask)):
    print(f"{index:4d} {token_id:7d} {'trained  ' if trained else 'untrained'} {tokenizer.decode([token_id])!r}")
if raised and "get_weather" in tokenizer.decode(whole) and "get_weather" not in tokenizer.decode(ids):
    print(f"REPRODUCED: defaults raise AssertionError; with ignore_input_ids_mismatch=True the row is trained on "
          f"{len(ids)} ids without the tool schema ('get_weather' absent; the template renders {len(whole)} ids), "
          f"and without {tokenizer.bos_token} {tokenizer.bos_token_id}: {tokenizer.bos_token_id not in ids}")
else:
    print("NOT REPRODUCED: the row is trained with its tools")
    sys.exit(1)
