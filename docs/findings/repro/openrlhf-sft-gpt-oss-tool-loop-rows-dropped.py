"""OpenRLHF 0.11.2: a gpt-oss tool loop with reasoning is silently dropped from multi-turn SFT.

    pip install openrlhf==0.11.2 transformers==5.15.0
    python openrlhf-sft-gpt-oss-tool-loop-rows-dropped.py [TOKENIZER]   # default openai/gpt-oss-20b

preprocess_data takes the last response as render(all)[len(render(all[:-1], add_generation_prompt=True)):];
gpt-oss's template keeps a tool call's reasoning while the loop is open and drops it once a final answer follows,
so the whole rendering is shorter than the prompt, the response is "" and SFTDataset filters the row out without a
warning. Related: https://github.com/OpenRLHF/OpenRLHF/issues/1080 (open; prefix renders on Qwen3, response ranges).
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


MESSAGES = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "thinking": "I should call the tool.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "assistant", "content": "Sunny."},
]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "openai/gpt-oss-20b")
    prompt = tokenizer.apply_chat_template(MESSAGES[:-1], tokenize=False, add_generation_prompt=True)
    whole = tokenizer.apply_chat_template(MESSAGES, tokenize=False)
    print(f"prompt (messages[:-1] + generation prompt): {len(prompt)} characters; whole conversation: {len(whole)}")
    print(f"reasoning in the prompt: {'I should call the tool.' in prompt}; in the whole: {'I should call the tool.' in whole}")
    ids, trained = sft_row(tokenizer, [dict(m) for m in MESSAGES])
    if ids is None:
        print("REPRODUCED: SFTDataset has 0 rows: the conversation (its tool call and its answer 'Sunny.') is "
              "filtered out as an empty response and never trained")
        sys.exit(0)
    show(tokenizer, ids, trained)
    print("NOT REPRODUCED: the row is kept")
    sys.exit(1)
