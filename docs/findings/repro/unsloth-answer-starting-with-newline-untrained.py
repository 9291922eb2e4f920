"""unsloth_zoo's train_on_responses_only leaves a whole Qwen2.5 answer untrained when its content starts with a newline.

    pip install unsloth_zoo==2026.10.9 transformers==5.17.0 trl==1.15.0 peft==0.18.1
    python unsloth-answer-starting-with-newline-untrained.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

The markers are the ones unsloth auto-detects from the template (the notebooks' ``train_on_responses_only(trainer)``),
with the default ``force_match=True``: the response marker '<|im_start|>assistant\\n' is matched as the ids
[<|im_start|>, 'assistant', '\\n'], but Qwen2.5's tokenizer merges the marker's '\\n' with the answer's leading '\\n'
into one '\\n\\n' token, so the marker is never found and the answer, its <|im_end|> included, stays at -100. The
script prints the tokens with their labels under the default, then the same row with ``force_match=False``.
"""

import os
import sys

os.environ.setdefault("UNSLOTH_IS_PRESENT", "1")  # unsloth_zoo imports without unsloth and without a GPU
os.environ.setdefault("UNSLOTH_ZOO_DISABLE_GPU_INIT", "1")

from transformers import AutoTokenizer
from unsloth_zoo.dataset_utils import train_on_responses_only

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "\nHello."}]
text = tokenizer.apply_chat_template(messages, tokenize=False)
ids = tokenizer(text, add_special_tokens=False)["input_ids"]


def labels(**options):
    label = train_on_responses_only(None, tokenizer=tokenizer, return_function=True, **options)
    return label({"input_ids": [ids]})["labels"][0]


def show(title, row_labels):
    print(title)
    for index, (token_id, label) in enumerate(zip(ids, row_labels)):
        print(f"{index:4d} {token_id:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token_id])!r}")


default = labels()
show("train_on_responses_only defaults (force_match=True):", default)
show("force_match=False:", labels(force_match=False))

answer = [i for i, token_id in enumerate(ids) if i > 0 and token_id == tokenizer.eos_token_id][-1]
untrained = [tokenizer.decode([ids[i]]) for i in range(answer - 2, answer + 1) if default[i] == -100]
if default.count(-100) == len(default) and untrained:
    print(f"REPRODUCED: the answer '\\nHello.' trains nothing under the defaults: {untrained!r} ({ids[answer]} "
          f"{tokenizer.eos_token}) untrained, because the marker's '\\n' merged into "
          f"{tokenizer.decode([ids[answer - 3]])!r} {ids[answer - 3]}")
else:
    print("NOT REPRODUCED: the answer is trained under the defaults")
    sys.exit(1)
