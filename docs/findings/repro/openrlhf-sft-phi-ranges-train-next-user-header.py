"""OpenRLHF 0.11.2: on Phi-3.5, multi-turn SFT trains the next user turn's <|user|> after each earlier answer.

    pip install openrlhf==0.11.2 transformers==5.15.0
    python openrlhf-sft-phi-ranges-train-next-user-header.py [TOKENIZER]   # default microsoft/Phi-3.5-mini-instruct

SFTDataset.process_data measures assistant message i on the rendering of messages[:i+1]; Phi-3.5's template ends
every conversation with <|endoftext|>, which the whole conversation does not have after an earlier answer, so that
range is one token too long and covers the next turn's <|user|>.
Upstream: https://github.com/OpenRLHF/OpenRLHF/issues/1080 (open; the same mechanism on Qwen3's reasoning),
https://github.com/OpenRLHF/OpenRLHF/pull/1227 (open; ranges from the final rendering).
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


MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye."}]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "microsoft/Phi-3.5-mini-instruct")
    ids, trained = sft_row(tokenizer, [dict(m) for m in MESSAGES])
    show(tokenizer, ids, trained)
    user = tokenizer.convert_tokens_to_ids("<|user|>")
    wrong = [i for i, t in enumerate(ids) if t == user and trained[i]]
    if wrong:
        print("REPRODUCED: " + ", ".join(f"<|user|> ({user}) at {i}" for i in wrong)
              + " is trained (the user turn after the first answer)")
        sys.exit(0)
    print("NOT REPRODUCED: no <|user|> is trained")
    sys.exit(1)
