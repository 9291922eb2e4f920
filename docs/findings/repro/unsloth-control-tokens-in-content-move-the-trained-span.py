"""unsloth_zoo's train_on_responses_only finds turns by searching the ids for the template's control tokens, so a message
content that spells them moves the trained span: a user message quoting the response marker gets trained, and an
answer quoting the end-of-turn token is cut there.

    pip install unsloth_zoo==2026.10.9 transformers==5.17.0 trl==1.15.0 peft==0.18.1
    python unsloth-control-tokens-in-content-move-the-trained-span.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

The conversations are rendered with the tokenizer's chat template and tokenized whole (unsloth's recipe; the tokenizer
turns control-token strings in a content into the control tokens), and labelled with the markers unsloth auto-detects
and the default options. Works with any ChatML tokenizer (the quoted marker and end-of-turn token are read from it).
"""

import os
import sys

os.environ.setdefault("UNSLOTH_IS_PRESENT", "1")  # unsloth_zoo imports without unsloth and without a GPU
os.environ.setdefault("UNSLOTH_ZOO_DISABLE_GPU_INIT", "1")

from transformers import AutoTokenizer
from unsloth_zoo.dataset_utils import get_chat_template_parts, train_on_responses_only

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
_, response_part = get_chat_template_parts(tokenizer)
eos = tokenizer.eos_token
label = train_on_responses_only(None, tokenizer=tokenizer, return_function=True)

CONVERSATIONS = {
    "a user message quoting the response marker": [
        {"role": "user", "content": f"What does {response_part} mean?"},
        {"role": "assistant", "content": "A header."}],
    "an answer quoting the end-of-turn token": [
        {"role": "user", "content": "How do I end a turn?"},
        {"role": "assistant", "content": f"Write {eos} at the end. Done."}],
}


def labelled(messages):
    ids = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"]
    labels = label({"input_ids": [ids]})["labels"][0]
    return ids, labels


def span(ids, needle):
    """Index range of the content ``needle`` in ``ids`` (its tokens as the whole rendering tokenized them)."""
    for start in range(len(ids)):
        for end in range(start + 1, len(ids) + 1):
            if tokenizer.decode(ids[start:end]) == needle:
                return start, end
    raise SystemExit(f"NOT REPRODUCED: {needle!r} not found in the rendering")


faults = []
for title, messages in CONVERSATIONS.items():
    ids, labels = labelled(messages)
    print(f"{title}: {messages!r}")
    for index, (token_id, value) in enumerate(zip(ids, labels)):
        print(f"{index:4d} {token_id:7d} {'trained  ' if value != -100 else 'untrained'} {tokenizer.decode([token_id])!r}")
    if "user" in title:
        # after the quoted marker: the rest of the user message and its end-of-turn token
        start, end = span(ids, " mean?")
        wrong = [(ids[i], tokenizer.decode([ids[i]])) for i in range(start, end + 1) if labels[i] != -100]
        if wrong:
            faults.append(f"user tokens trained {wrong}")
    else:
        # after the quoted end-of-turn token: the rest of the answer and its real end-of-turn token
        start, end = span(ids, " at the end. Done.")
        wrong = [(ids[i], tokenizer.decode([ids[i]])) for i in range(start, end + 1) if labels[i] == -100]
        if wrong:
            faults.append(f"answer tokens untrained {wrong}")
    print()

if faults:
    print("REPRODUCED: content spelling control tokens moves the trained span: " + "; ".join(faults))
else:
    print("NOT REPRODUCED: the quoted control tokens do not move the trained span")
    sys.exit(1)
