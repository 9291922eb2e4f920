"""datasets 5.2.0: a tool-calling dataset built as trl documents (the Json() type for tool-call arguments,
Dataset.from_list(rows, on_mixed_types="use_json")) stores each call's arguments with pandas' ujson encoder, which
writes floats with 10 decimals and -0.0 as 0.0, and reads them back with its imprecise float parser. SFTTrainer then
tokenizes (and trains) numbers the conversation does not hold: 0.7 becomes 0.7000000000000001, -0.0 becomes 0.0,
1e-12 becomes 0.0.

    pip install trl==1.16.0 transformers==5.25.0 datasets==5.2.0
    python datasets-json-type-rounds-tool-call-float-arguments.py [TOKENIZER]

TOKENIZER: a Qwen2.5-Instruct tokenizer folder or Hub id (default Qwen/Qwen2.5-0.5B-Instruct). The script builds
the dataset exactly as trl's docs/source/dataset_formats.md ("Tool calling") says, lets a real
SFTTrainer(assistant_only_loss=True) prepare it (on a tiny random Qwen2 model built from a config: nothing is
downloaded but the tokenizer, nothing is trained), and compares the row SFTTrainer tokenized with the same
conversation rendered directly by trl's training template. It prints the tokens where they differ with their labels.
"""

import sys
import tempfile

import torch
from datasets import Dataset
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM
from trl import SFTConfig, SFTTrainer

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-0.5B-Instruct")
if tokenizer.pad_token is None:
    tokenizer.pad_token = tokenizer.eos_token


def schema(name, properties):
    return {"type": "function", "function": {"name": name, "description": f"{name}.", "parameters": {
        "type": "object", "properties": {p: {"type": t} for p, t in properties.items()},
        "required": list(properties)}}}


def call(name, arguments):
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


# Row 0 is the one shown; row 1 is another conversation of the same dataset, whose call has other argument keys (as
# in any tool-calling dataset with more than one tool): that is what makes the arguments a Json() field.
ARGUMENTS = {"gain": 0.7, "offset": -0.0, "tolerance": 1e-12}
rows = [
    {"messages": [{"role": "user", "content": "Calibrate the sensor."},
                  {"role": "assistant", "content": "", "tool_calls": [call("calibrate", ARGUMENTS)]},
                  {"role": "tool", "content": "ok"},
                  {"role": "assistant", "content": "Calibrated."}],
     "tools": [schema("calibrate", {"gain": "number", "offset": "number", "tolerance": "number"})]},
    {"messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": "", "tool_calls": [call("get_weather", {"city": "Paris"})]},
                  {"role": "tool", "content": "sunny"},
                  {"role": "assistant", "content": "Sunny."}],
     "tools": [schema("get_weather", {"city": "string"})]},
]
dataset = Dataset.from_list(rows, on_mixed_types="use_json")  # trl's docs: "auto-apply the Json() type"
print("features:", dataset.features["messages"])
stored = dataset[0]["messages"][1]["tool_calls"][0]["function"]["arguments"]
print(f"arguments given:  {ARGUMENTS}")
print(f"arguments stored: {stored}")

torch.manual_seed(0)
model = Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                     num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                     pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id))
args = SFTConfig(output_dir=tempfile.mkdtemp(), assistant_only_loss=True, max_length=None, report_to=[],
                 use_cpu=True, dataset_num_proc=None)
trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
trained_ids = list(trainer.train_dataset[0]["input_ids"])
trained_labels = list(trainer.train_dataset[0]["labels"])

# The conversation itself, rendered by the template SFTTrainer uses (trl swaps in its training template).
template = trainer.chat_template or tokenizer.chat_template
expected = tokenizer.apply_chat_template(rows[0]["messages"], tools=rows[0]["tools"], chat_template=template,
                                         tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
expected_ids, expected_mask = list(expected["input_ids"]), list(expected["assistant_masks"])

start = next((i for i, (a, b) in enumerate(zip(expected_ids, trained_ids)) if a != b),
             min(len(expected_ids), len(trained_ids)))
if expected_ids == trained_ids:
    print("NOT REPRODUCED: SFTTrainer tokenized the conversation as the template renders it")
    sys.exit(1)
tail = 0
while (tail < min(len(expected_ids), len(trained_ids)) - start
       and expected_ids[-1 - tail] == trained_ids[-1 - tail]):
    tail += 1
lo = max(0, start - 8)
print("\nthe conversation, rendered by the template (what the model should learn):")
for i in range(lo, len(expected_ids) - tail + 2):
    mark = "trained" if expected_mask[i] else "untrained"
    print(f"{i:4d} {expected_ids[i]:7d} {mark:9s} {tokenizer.decode([expected_ids[i]])!r}")
print("\nthe row SFTTrainer prepared from the documented dataset (what it trains):")
for i in range(lo, len(trained_ids) - tail + 2):
    mark = "trained" if trained_labels[i] != -100 else "untrained"
    print(f"{i:4d} {trained_ids[i]:7d} {mark:9s} {tokenizer.decode([trained_ids[i]])!r}")

def arguments_text(ids):
    text = tokenizer.decode(ids)
    start = text.rindex('"arguments": ') + len('"arguments": ')
    return text[start:text.index("}}", start) + 1]


lost = [f"{tokenizer.decode([t])!r} ({t})" for t in expected_ids[start:len(expected_ids) - tail]
        if expected_mask[expected_ids.index(t, start)] and t not in trained_ids[start:len(trained_ids) - tail]]
print(f"\nREPRODUCED: SFTTrainer trains the call's arguments as {arguments_text(trained_ids)} where the conversation "
      f"renders {arguments_text(expected_ids)}: trained tokens {', '.join(lost)} are lost (datasets' Json() type: "
      f"0.7 -> 0.7000000000000001, -0.0 -> 0.0, 1e-12 -> 0.0)")
