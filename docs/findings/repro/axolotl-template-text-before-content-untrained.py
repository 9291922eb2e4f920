"""axolotl 0.21.0: what the model generates before an answer's content (gpt-oss's channel, Qwen3's think block) is
never trained.

    pip install axolotl==0.21.0
    python axolotl-template-text-before-content-untrained.py [TOKENIZER]   # default openai/gpt-oss-20b (or Qwen/Qwen3-8B)

ChatTemplateStrategy._find_turn_from_text (src/axolotl/prompt_strategies/chat_template.py l. 785-811) trains the
characters where the rendering differs from renders with the turn's content replaced by placeholders. Text the
template writes between the generation prompt and the content is the same in all of them, so it is never trained,
although the model generates it: gpt-oss's '<|channel|>' 'final' '<|message|>' after '<|start|>assistant', Qwen3's
'<think>' '\n\n' '</think>' '\n\n' after '<|im_start|>assistant\n'. For gpt-oss the examples' configuration
(eot_tokens ['<|end|>'], field_thinking/template_thinking_key 'thinking') is used; it changes nothing here.
The template writes today's date (gpt-oss); both renders compared are made within the same second.
"""
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault

MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "openai/gpt-oss-20b")
    config, dataset = {"sequence_len": 4096, "train_on_inputs": False}, {"type": "chat_template"}
    if "<|channel|>" in (tokenizer.chat_template or ""):  # gpt-oss: as in examples/gpt-oss/*.yaml
        config["eot_tokens"] = ["<|end|>"]
        dataset.update(field_thinking="thinking", template_thinking_key="thinking")
    strategy = chat_template.load(tokenizer, DictDefault(config), dataset)
    out = strategy.tokenize_prompt({"messages": [dict(m) for m in MESSAGES]})
    ids, labels = list(out["input_ids"]), list(out["labels"])
    for i, (token, label) in enumerate(zip(ids, labels)):
        print(f"{i:4d} {token:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token])!r}")
    prompt = tokenizer.apply_chat_template(MESSAGES[:1], add_generation_prompt=True, tokenize=True, return_dict=False)
    assert ids[:len(prompt)] == list(prompt), "the generation prompt is not a prefix of the rendering"
    first_trained = next(i for i in range(len(prompt), len(ids)) if labels[i] != -100)
    skipped = list(range(len(prompt), first_trained))
    if skipped:
        print("REPRODUCED: generated before the content but untrained: "
              + " ".join(f"{tokenizer.decode([ids[i]])!r} ({ids[i]})" for i in skipped))
        sys.exit(0)
    print("NOT REPRODUCED: the answer is trained from the first token after the generation prompt")
    sys.exit(1)
