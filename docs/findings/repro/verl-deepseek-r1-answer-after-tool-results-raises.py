"""verl's MultiTurnSFTDataset cannot train a DeepSeek-R1-Distill row where an answer follows tool results
(sanity_check raises); with ignore_input_ids_mismatch=True the answer gets an '<｜Assistant｜>' the template does not
write there. Same cause as verl-project/verl#7322 (each message rendered alone).

    pip install verl==0.9.1 transformers==5.10.4
    python verl-deepseek-r1-answer-after-tool-results-raises.py [TOKENIZER]   # default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B

DeepSeek-R1's template writes '<｜tool▁outputs▁end｜>' and then the answer directly after tool results; rendered alone,
the answer starts with '<｜Assistant｜>'.
"""

import sys
import tempfile

import pandas as pd
from transformers import AutoTokenizer
from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
messages = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
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
mine, theirs = tokenizer.decode(ids), tokenizer.decode(whole)
print(f"ignore_input_ids_mismatch=True: {len(ids)} ids, the whole rendering {len(whole)}")
for index, (token_id, trained) in enumerate(zip(ids, mask)):
    print(f"{index:4d} {token_id:7d} {'trained  ' if trained else 'untrained'} {tokenizer.decode([token_id])!r}")
print(f"verl's text ends      {mine[-60:]!r}")
print(f"the rendering ends    {theirs[-60:]!r}")
header = "<｜Assistant｜>"
if raised and mine.replace("<｜tool▁outputs▁end｜>" + header, "<｜tool▁outputs▁end｜>") == theirs and mine != theirs:
    print(f"REPRODUCED: defaults raise AssertionError; with ignore_input_ids_mismatch=True the answer after the tool "
          f"results is trained after a {header} {tokenizer.convert_tokens_to_ids(header)} the template does not write "
          f"there ('<｜tool▁outputs▁end｜>Sunny.')")
else:
    print("NOT REPRODUCED: the answer after tool results is rendered as the template renders it")
    sys.exit(1)
