"""verl's MultiTurnSFTDataset cannot train a row with parallel tool calls on Qwen2.5 (sanity_check raises), and with
ignore_input_ids_mismatch=True trains each tool result as its own user turn. Known upstream: verl-project/verl#7322.

    pip install verl==0.9.1 transformers==5.10.4
    python verl-parallel-tool-results-raise-or-split-turns.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

Each message is rendered alone; Qwen2.5's template wraps consecutive tool messages in one user turn, but rendered
alone each gets its own '<|im_start|>user ... <|im_end|>'. The script builds the row with verl's defaults, then with
ignore_input_ids_mismatch=True, and prints verl's ids against the whole rendering's where they part.
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
messages = [
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "name": "get_weather", "content": "rainy"},
    {"role": "assistant", "content": "Sunny, then rainy."}]


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
part = next((i for i, (a, b) in enumerate(zip(ids, whole)) if a != b), min(len(ids), len(whole)))
print(f"ignore_input_ids_mismatch=True: {len(ids)} ids, the whole rendering {len(whole)}; they part at {part}")
for index in range(max(0, part - 4), min(len(ids), part + 8)):
    theirs = f"{whole[index]:7d} {tokenizer.decode([whole[index]])!r}" if index < len(whole) else ""
    print(f"{index:4d} {ids[index]:7d} {'trained  ' if mask[index] else 'untrained'} "
          f"{tokenizer.decode([ids[index]])!r:16} rendering: {theirs}")
wrappers = tokenizer.decode(ids).count("<|im_start|>user\n<tool_response>")
if raised and wrappers == 2:
    print(f"REPRODUCED: defaults raise AssertionError ({raised[:60]}...); with ignore_input_ids_mismatch=True the two "
          f"tool results get two '<|im_start|>user' turns: ids {ids[part:part + 5]} where the template renders "
          f"{whole[part:part + 3]}")
else:
    print("NOT REPRODUCED: the parallel tool results are rendered as the template renders them")
    sys.exit(1)
