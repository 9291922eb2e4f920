"""OpenRLHF 0.11.2: a row longer than --max_len is cut and its last token replaced by the EOS, which is trained.

    pip install openrlhf==0.11.2 transformers==5.15.0
    python openrlhf-sft-truncation-trains-a-forced-eos.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

SFTDataset.__getitem__ tokenizes with truncation=True at max_len and then sets input_ids[0][-1] = eos_token_id
("to avoid EOS_token truncation"); the last response range covers that position, so a cut answer is trained to end
with the EOS in mid-sentence. Deliberate (the code's comment); recorded as OpenRLHF's convention.
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
    dataset = SFTDataset(Rows([{"messages": messages}]), tokenizer, MAX_LEN,
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


MAX_LEN = 40
MESSAGES = [{"role": "user", "content": "Count."}, {"role": "assistant", "content": " ".join(map(str, range(40)))}]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
    ids, trained = sft_row(tokenizer, [dict(m) for m in MESSAGES])
    show(tokenizer, ids, trained)
    whole = tokenizer(tokenizer.apply_chat_template(MESSAGES, tokenize=False), add_special_tokens=False)["input_ids"]
    cut = whole[len(ids) - 1]
    if len(ids) == MAX_LEN and ids[-1] == tokenizer.eos_token_id and trained[-1] and cut != ids[-1]:
        print(f"REPRODUCED: at {len(ids) - 1} the answer's {tokenizer.decode([cut])!r} ({cut}) is replaced by "
              f"{tokenizer.eos_token!r} ({ids[-1]}), which is trained in mid-answer")
        sys.exit(0)
    print("NOT REPRODUCED: the cut row does not end with a trained, forced EOS")
    sys.exit(1)
