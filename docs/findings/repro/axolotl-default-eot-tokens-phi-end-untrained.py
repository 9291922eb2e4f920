"""axolotl 0.21.0 (a documented option, not a defect): under the defaults, Phi-3.5's turns end untrained.

    pip install axolotl==0.21.0
    python axolotl-default-eot-tokens-phi-end-untrained.py [TOKENIZER]   # default microsoft/Phi-3.5-mini-instruct

eot_tokens defaults to [tokenizer.eos_token] (src/axolotl/prompt_strategies/chat_template.py l. 339-347).
Phi-3.5's EOS '<|endoftext|>' ends the conversation only; each turn ends with '<|end|>', which is then never
trained, while the closing '<|endoftext|>' (within 3 tokens of the last answer) is. axolotl documents the remedy:
eot_tokens: ['<|end|>'] (examples/phi/lora-3.5.yaml; docs/dataset-formats/conversation.qmd; docs/faq.qmd names
phi_35). The script runs both and shows the option trains every '<|end|>'.
"""
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "Bye."}]


def labels_for(tokenizer, **top):
    config = DictDefault({"sequence_len": 4096, "train_on_inputs": False, **top})
    out = chat_template.load(tokenizer, config, {"type": "chat_template"}).tokenize_prompt(
        {"messages": [dict(m) for m in MESSAGES]})
    return list(out["input_ids"]), list(out["labels"])


if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "microsoft/Phi-3.5-mini-instruct")
    ids, default = labels_for(tokenizer)
    _, documented = labels_for(tokenizer, eot_tokens=["<|end|>"])
    print("   i      id  defaults   eot_tokens=['<|end|>']  token")
    for i, token in enumerate(ids):
        print(f"{i:4d} {token:7d}  {'trained  ' if default[i] != -100 else 'untrained'} "
              f"{'trained  ' if documented[i] != -100 else 'untrained':>22}  {tokenizer.decode([token])!r}")
    end = tokenizer.convert_tokens_to_ids("<|end|>")
    answers_end = [i for i, t in enumerate(ids) if t == end and i > 0 and documented[i - 1] != -100]
    if answers_end and all(default[i] == -100 for i in answers_end) and all(documented[i] != -100 for i in answers_end):
        print(f"REPRODUCED: under the defaults the answers' '<|end|>' ({end}) at {answers_end} are untrained; "
              "eot_tokens: ['<|end|>'] (the documented option) trains them")
        sys.exit(0)
    print("NOT REPRODUCED: the defaults train the answers' '<|end|>'")
    sys.exit(1)
