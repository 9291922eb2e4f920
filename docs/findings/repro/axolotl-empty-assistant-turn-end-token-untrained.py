"""axolotl 0.21.0: an empty assistant turn never trains its own end-of-turn token.

    pip install axolotl==0.21.0
    python axolotl-empty-assistant-turn-end-token-untrained.py [TOKENIZER [EOT_TOKEN ...]]
    # default Qwen/Qwen2.5-7B-Instruct; EOT_TOKEN: axolotl's top-level eot_tokens (default: the EOS token)

ChatTemplateStrategy.find_turn returns (-1, -1) for a turn whose content span is empty
(src/axolotl/prompt_strategies/chat_template.py l. 945-949), and _tokenize_single_prompt then searches the turn's
EOT/EOS from start_idx=-1 (l. 639): range(-1, n) looks at the LAST token first, then from token 0. If the last token
is an end token, the search returns -1, the "not found" value; otherwise it returns the first end token of the
conversation, kept only when it lies within 3 tokens of -1 (indices 0..2). Either way the empty turn's own end token
stays -100; with an end token among the first three tokens (Phi-3.5 with eot_tokens ['<|end|>'] and a one-token first
user message) that token, which the model never generates, is trained instead.
The conversation ends with a normal answer, so the row keeps trainable tokens and is not dropped by
drop_no_trainable_tokens.
"""
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault

MESSAGES = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": ""},
    {"role": "user", "content": "Bye"},
    {"role": "assistant", "content": "Bye."},
]


def show(tokenizer, ids, labels):
    for i, (token, label) in enumerate(zip(ids, labels)):
        print(f"{i:4d} {token:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token])!r}")


if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
    config = {"sequence_len": 4096, "train_on_inputs": False}
    if len(sys.argv) > 2:
        config["eot_tokens"] = sys.argv[2:]
    strategy = chat_template.load(tokenizer, DictDefault(config), {"type": "chat_template"})
    out = strategy.tokenize_prompt({"messages": [dict(m) for m in MESSAGES]})
    ids, labels = list(out["input_ids"]), list(out["labels"])
    show(tokenizer, ids, labels)
    # The empty turn's end token is the first token after the generation prompt of the messages before it.
    prompt = tokenizer.apply_chat_template(MESSAGES[:1], add_generation_prompt=True, tokenize=True, return_dict=False)
    assert ids[:len(prompt)] == list(prompt), "the generation prompt is not a prefix of the rendering"
    end = len(prompt)
    answer_start = len(tokenizer.apply_chat_template(MESSAGES[:3], add_generation_prompt=True, tokenize=True,
                                                     return_dict=False))
    stray = [i for i in range(answer_start) if labels[i] != -100]
    print(f"empty turn's end token: index {end}, id {ids[end]} {tokenizer.decode([ids[end]])!r}, "
          f"label {labels[end]}")
    if labels[end] == -100:
        extra = "; trained instead: " + ", ".join(f"{i} {tokenizer.decode([ids[i]])!r}" for i in stray) if stray else ""
        print(f"REPRODUCED: the empty assistant turn's end token {tokenizer.decode([ids[end]])!r} ({ids[end]}) at "
              f"index {end} is untrained{extra}")
        sys.exit(0)
    print("NOT REPRODUCED: the empty assistant turn's end token is trained")
    sys.exit(1)
