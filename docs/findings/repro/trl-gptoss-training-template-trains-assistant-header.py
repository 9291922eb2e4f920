"""trl 1.16.0: with SFTConfig(assistant_only_loss=True), gpt-oss's training template trains the '<|start|>assistant'
header that the generation prompt writes.

    pip install trl==1.16.0 transformers==5.25.0
    python trl-gptoss-training-template-trains-assistant-header.py [TOKENIZER]

TOKENIZER: a gpt-oss tokenizer folder or Hub id (default openai/gpt-oss-20b). The script does what SFTTrainer does for
a conversational row under assistant_only_loss=True: swap in trl's training template
(trl.chat_template_utils.get_training_chat_template, sft_trainer.py l. 941-942), tokenize with
return_assistant_tokens_mask=True (l. 1374-1378) and set the label of every token outside the mask to -100
(build_labels, l. 1421-1427). The template writes today's date (strftime_now); the script fixes it to 2026-01-01 so
the output does not change from day to day.
"""

import sys

from transformers import AutoTokenizer
from trl import chat_template_utils

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "openai/gpt-oss-20b")
template = chat_template_utils.get_training_chat_template(tokenizer)
if template != chat_template_utils.gptoss_training_chat_template:
    print("NOT REPRODUCED: trl did not swap in gptoss_training.jinja for this tokenizer")
    sys.exit(1)
template = template.replace('strftime_now("%Y-%m-%d")', '"2026-01-01"')
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
    print(f"REPRODUCED: gptoss_training.jinja trains {shown}, the generation prompt '<|start|>assistant' that the "
          f"model never generates")
else:
    print("NOT REPRODUCED: no token of the generation prompt is trained")
    sys.exit(1)
