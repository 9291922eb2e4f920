"""OpenRLHF 0.11.2: multi-turn SFT renders a tool-calling conversation without its tools.

    pip install openrlhf==0.11.2 transformers==5.15.0
    python openrlhf-sft-tools-not-rendered.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

SFTDataset (what `openrlhf.cli.train_sft --data.multiturn --data.apply_chat_template` builds) calls
`tokenizer.apply_chat_template(messages, ...)` without `tools=`, so the tool block the template writes for the row's
tools (Qwen2.5: "# Tools ... <tools>...</tools>" in the system turn) is missing from the trained text.
Upstream: https://github.com/OpenRLHF/OpenRLHF/issues/1079 (open), https://github.com/OpenRLHF/OpenRLHF/pull/1228 (open).
"""
import sys
from types import SimpleNamespace

from transformers import AutoTokenizer

from openrlhf.datasets import SFTDataset


class Rows:  # the part of datasets.Dataset that SFTDataset uses (no Arrow schema merging of the messages)
    def __init__(self, rows):
        self.rows = rows
    column_names = property(lambda self: list(self.rows[0]))
    def map(self, function, remove_columns=None, num_proc=None):
        return Rows([function(dict(row)) for row in self.rows])
    def filter(self, keep):
        return Rows([row for row in self.rows if keep(row)])
    def __getitem__(self, column):
        return [row[column] for row in self.rows]
    def __len__(self):
        return len(self.rows)


def sft_row(tokenizer, messages):
    data = SimpleNamespace(input_key="messages", output_key=None, apply_chat_template=True,
                           tokenizer_chat_template=None)
    dataset = SFTDataset(Rows([{"messages": messages}]), tokenizer, 4096,
                         SimpleNamespace(args=SimpleNamespace(data=data)), num_processors=1, multiturn=True)
    if len(dataset) == 0:
        return None, None
    input_ids, _, loss_mask = dataset[0]
    ids = input_ids[0].tolist()
    shifted = loss_mask[0].tolist()  # loss_mask[i] weighs the prediction of token i + 1
    return ids, [i > 0 and shifted[i - 1] == 1 for i in range(len(ids))]


def show(tokenizer, ids, trained):
    for i, (token, on) in enumerate(zip(ids, trained)):
        print(f"{i:4d} {token:7d} {'trained  ' if on else 'untrained'} {tokenizer.decode([token])!r}")


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
MESSAGES = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "assistant", "content": "Sunny."},
]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
    ids, trained = sft_row(tokenizer, [dict(m) for m in MESSAGES])
    show(tokenizer, ids, trained)
    served = tokenizer.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=False)
    text = tokenizer.decode(ids)
    print(f"served with tools: {len(tokenizer(served, add_special_tokens=False)['input_ids'])} tokens; "
          f"OpenRLHF trains on: {len(ids)} tokens")
    if "Weather for a city." not in text and "Weather for a city." in served:
        print("REPRODUCED: the tool definitions are not in the trained text (the rendering with tools= has "
              "the schema's 'Weather for a city.'; OpenRLHF's ids do not)")
        sys.exit(0)
    print("NOT REPRODUCED: the trained text holds the tool definitions")
    sys.exit(1)
