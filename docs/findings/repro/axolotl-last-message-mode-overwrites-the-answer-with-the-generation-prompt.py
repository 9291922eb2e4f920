"""axolotl 0.21.0: in "training on last message" mode, the answer's first tokens are replaced by the generation
prompt's tail where the template's generation prompt is not a prefix of the rendered conversation (DeepSeek-R1).

    pip install axolotl==0.21.0
    python axolotl-last-message-mode-overwrites-the-answer-with-the-generation-prompt.py [TOKENIZER]
    # default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B

docs/dataset-formats/conversation.qmd "Training on last message" (roles_to_train: and train_on_eos: left empty)
takes ChatTemplateStrategy._tokenize_single_prompt's legacy branch (src/axolotl/prompt_strategies/chat_template.py
l. 474-509): prompt_ids = render(turns[:-1], add_generation_prompt=True), then
input_ids = prompt_ids + render(turns)[len(prompt_ids):]. DeepSeek-R1's generation prompt ends '<|Assistant|><think>\n'
but its rendering of a finished answer has no '<think>\n', so the splice writes '<think>' '\n' over the answer's
first tokens: the row is neither rendering, and the answer is trained from its third token.
"""
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault

MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye, see you."}]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1
                                              else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
    strategy = chat_template.load(tokenizer, DictDefault({"sequence_len": 4096, "train_on_inputs": False}),
                                  {"type": "chat_template", "roles_to_train": None, "train_on_eos": None})
    out = strategy.tokenize_prompt({"messages": [dict(m) for m in MESSAGES]})
    ids, labels = list(out["input_ids"]), list(out["labels"])
    for i, (token, label) in enumerate(zip(ids, labels)):
        print(f"{i:4d} {token:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token])!r}")
    rendered = list(tokenizer.apply_chat_template(MESSAGES, tokenize=True, return_dict=False))
    prompt = list(tokenizer.apply_chat_template(MESSAGES[:-1], add_generation_prompt=True, tokenize=True,
                                                return_dict=False))
    answer = tokenizer.encode(MESSAGES[-1]["content"], add_special_tokens=False)
    if ids != rendered and rendered[:len(prompt)] != prompt:
        lost = [t for t in answer if t not in ids[len(prompt):]]
        print(f"REPRODUCED: the trained row is not the rendering; the answer {MESSAGES[-1]['content']!r} lost "
              + " ".join(f"{tokenizer.decode([t])!r} ({t})" for t in lost) + ", overwritten by "
              + " ".join(f"{tokenizer.decode([t])!r} ({t})" for t in prompt[len(prompt) - len(lost):]))
        sys.exit(0)
    print("NOT REPRODUCED: the ids are the rendering (or the generation prompt is a prefix of it)")
    sys.exit(1)
