"""trl 1.16.0: with SFTConfig(assistant_only_loss=True), Qwen2.5's training template trains the '\n' that ends the
generation prompt '<|im_start|>assistant\n'.

    pip install trl==1.16.0 transformers==5.25.0
    python trl-qwen2_5-training-template-trains-generation-prompt-newline.py [TOKENIZER]

TOKENIZER: a Qwen2.5-Instruct tokenizer folder or Hub id (default Qwen/Qwen2.5-0.5B-Instruct). The script does what
SFTTrainer does for a conversational row under assistant_only_loss=True: swap in trl's training template
(trl.chat_template_utils.get_training_chat_template, sft_trainer.py l. 941-942), tokenize with
return_assistant_tokens_mask=True (l. 1374-1378) and set the label of every token outside the mask to -100
(build_labels, l. 1421-1427). It prints each token with its label and whether the generation prompt wrote it.
"""

import sys

from transformers import AutoTokenizer
from trl import chat_template_utils

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-0.5B-Instruct")
template = chat_template_utils.get_training_chat_template(tokenizer)
if template != chat_template_utils.qwen2_5_training_chat_template:
    print("NOT REPRODUCED: trl did not swap in qwen2_5_training.jinja for this tokenizer")
    sys.exit(1)
messages = [{"role": "user", "content": "What is 17 + 25?"}, {"role": "assistant", "content": "42."}]

out = tokenizer.apply_chat_template(messages, chat_template=template, tokenize=True, return_dict=True,
                                    return_assistant_tokens_mask=True)
ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
prompt = list(tokenizer.apply_chat_template(messages[:1], chat_template=template, tokenize=True, return_dict=True,
                                            add_generation_prompt=True)["input_ids"])
assert ids[:len(prompt)] == prompt, "the generation prompt is not a prefix of the conversation"

for index, (token, trained) in enumerate(zip(ids, mask)):
    where = "generation prompt" if index < len(prompt) else "answer"
    print(f"{index:4d} {token:7d} {'trained' if trained else 'untrained':9s} {where:17s} {tokenizer.decode([token])!r}")

trained_prompt = [i for i in range(len(prompt)) if mask[i]]
if trained_prompt:
    shown = ", ".join(f"{tokenizer.decode([ids[i]])!r} ({ids[i]})" for i in trained_prompt)
    print(f"REPRODUCED: qwen2_5_training.jinja trains {shown}, the end of the generation prompt "
          f"'<|im_start|>assistant\\n' that the model never generates")
else:
    print("NOT REPRODUCED: no token of the generation prompt is trained")
    sys.exit(1)
