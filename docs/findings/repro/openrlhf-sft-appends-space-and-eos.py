"""OpenRLHF 0.11.2: SFT appends " " + eos to a rendering that ends with another turn-end token, and trains the space.

    pip install openrlhf==0.11.2 transformers==5.15.0
    python openrlhf-sft-appends-space-and-eos.py [TOKENIZER]   # default google/gemma-2-2b-it

SFTDataset.__getitem__ strips the text's trailing "\n" and appends " " + eos_token when the text does not end with
the EOS; on Gemma-2 (EOS <eos>, turns end "<end_of_turn>\n") the last answer's range then covers the space, so the
model is trained to emit ' ' after <end_of_turn>.
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
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "google/gemma-2-2b-it")
    ids, trained = sft_row(tokenizer, [dict(m) for m in MESSAGES])
    show(tokenizer, ids, trained)
    rendering = tokenizer(tokenizer.apply_chat_template(MESSAGES, tokenize=False), add_special_tokens=False)
    print(f"rendering ends {[tokenizer.decode([t]) for t in rendering['input_ids'][-3:]]}")
    space = [i for i in range(1, len(ids)) if trained[i] and tokenizer.decode([ids[i]]) == " "
             and tokenizer.decode([ids[i - 1]]) == "<end_of_turn>"]
    if space:
        i = space[0]
        print(f"REPRODUCED: ' ' ({ids[i]}) after <end_of_turn> ({ids[i - 1]}) at {i} is trained, then "
              f"{tokenizer.decode([ids[-1]])!r} ({ids[-1]}); the template renders <end_of_turn> '\\n'")
        sys.exit(0)
    print("NOT REPRODUCED: no space after <end_of_turn> is trained")
    sys.exit(1)
