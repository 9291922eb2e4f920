"""axolotl 0.21.0 (a deliberate trade-off, not a defect): a null tool-call argument given as a dict is deleted.

    pip install axolotl==0.21.0
    python axolotl-null-tool-arguments-deleted.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

ChatTemplateStrategy.tokenize_prompt starts with remove_none_values(prompt) (src/axolotl/utils/dict.py l. 41-51),
which drops every None in the row on purpose: datasets' JSON loading unifies the tool-call schemas across rows and
fills absent arguments with null (axolotl-ai-cloud/axolotl#2909), which cannot be told from a null the data means.
{"a": null} is tokenized as {}. Arguments stored as a JSON string (docs/dataset-formats/conversation.qmd, "Using
tool use") are parsed after that step and keep their nulls; the script shows both.
"""
import json
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}}]


def messages(arguments):
    return [{"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
            {"role": "assistant", "content": "Sunny."}]


if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
    strategy = chat_template.load(tokenizer, DictDefault({"sequence_len": 4096, "train_on_inputs": False}),
                                  {"type": "chat_template"})
    rendered = list(tokenizer.apply_chat_template(messages({"a": None}), tools=TOOLS, tokenize=True,
                                                  return_dict=False))
    as_dict = strategy.tokenize_prompt({"messages": messages({"a": None}), "tools": TOOLS})
    as_json = strategy.tokenize_prompt({"messages": messages(json.dumps({"a": None})), "tools": TOOLS})
    ids, labels = list(as_dict["input_ids"]), list(as_dict["labels"])
    first = next((i for i, (x, y) in enumerate(zip(ids, rendered)) if x != y), min(len(ids), len(rendered)))
    for i in range(max(0, first - 4), min(len(ids), first + 4)):
        print(f"{i:4d} {ids[i]:7d} {'trained  ' if labels[i] != -100 else 'untrained'} {tokenizer.decode([ids[i]])!r}"
              f"   rendering: {tokenizer.decode([rendered[i]]) if i < len(rendered) else ''!r}")
    if ids != rendered and list(as_json["input_ids"]) == rendered:
        print(f"REPRODUCED: dict arguments {{'a': None}}: from index {first} axolotl has "
              f"{tokenizer.decode(ids[first:first + 2])!r}, the rendering {tokenizer.decode(rendered[first:first + 4])!r}"
              "; the same arguments as a JSON string give the rendering's ids")
        sys.exit(0)
    print("NOT REPRODUCED: dict arguments keep their null (or JSON-string arguments do not)")
    sys.exit(1)
