"""OpenRLHF 0.11.2: multi-turn SFT trains the next turn's <|im_start|> when an answer starts with a newline.

    pip install openrlhf==0.11.2 transformers==5.15.0
    python openrlhf-sft-response-range-drifts-on-leading-newline.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

SFTDataset.process_data counts the tokens of each prompt and each response tokenized alone; in the whole text the
header's "\n" and the answer's leading "\n\n" merge into one token, so every later index is one too far and the
first answer's range ends on the next user turn's <|im_start|>.
Upstream: https://github.com/OpenRLHF/OpenRLHF/issues/591 (open; the concern was raised there),
https://github.com/OpenRLHF/OpenRLHF/pull/1227 (open; offset-mapped ranges).
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


MESSAGES = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "\n\nHello"},
            {"role": "user", "content": "ok"}, {"role": "assistant", "content": "bye"}]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
    ids, trained = sft_row(tokenizer, [dict(m) for m in MESSAGES])
    show(tokenizer, ids, trained)
    # the tokens of the second user turn: from the <|im_start|> after the first answer's <|im_end|> to its <|im_end|>
    end_of_turn = tokenizer.convert_tokens_to_ids("<|im_end|>")
    closes = [i for i, t in enumerate(ids) if t == end_of_turn]
    first_answer_end = closes[2]  # system, user, first answer
    user_turn = range(first_answer_end + 2, closes[3] + 1)  # after "<|im_end|>" "\n"
    wrong = [i for i in user_turn if trained[i]]
    if wrong:
        print("REPRODUCED: the next user turn's " + ", ".join(f"{tokenizer.decode([ids[i]])!r} ({ids[i]}) at {i}"
                                                          for i in wrong) + " is trained")
        sys.exit(0)
    print("NOT REPRODUCED: no token of the next user turn is trained")
    sys.exit(1)
