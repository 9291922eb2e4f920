"""trl 1.16.0: with SFTConfig(assistant_only_loss=True), DeepSeek-R1-Distill's training template trains text its
generation prompt writes: the '<｜Assistant｜>' role token of every assistant turn and, in the turn after a tool
result, the '<｜tool▁outputs▁end｜>' marker.

    pip install trl==1.16.0 transformers==5.25.0
    python trl-deepseek-r1-distill-training-template-trains-assistant-role-token.py [TOKENIZER]

TOKENIZER: a DeepSeek-R1-Distill tokenizer folder or Hub id (default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B). The
script does what SFTTrainer does for a conversational row under assistant_only_loss=True: swap in trl's training
template (trl.chat_template_utils.get_training_chat_template, sft_trainer.py l. 941-942), tokenize with
return_assistant_tokens_mask=True (l. 1374-1378) and set the label of every token outside the mask to -100
(build_labels, l. 1421-1427). For each conversation it prints the tokens from the end of the prompt on (the prompt
being the conversation before the last assistant turn, rendered with add_generation_prompt=True).
"""

import sys

from transformers import AutoTokenizer
from trl import chat_template_utils

tokenizer = AutoTokenizer.from_pretrained(
    sys.argv[1] if len(sys.argv) > 1 else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
template = chat_template_utils.get_training_chat_template(tokenizer)
if template != chat_template_utils.deepseek_r1_distill_training_chat_template:
    print("NOT REPRODUCED: trl did not swap in deepseek_r1_distill_training.jinja for this tokenizer")
    sys.exit(1)

# The tool call is written in DeepSeek's own text format: the template's structured branch (content None) renders
# `arguments` by string concatenation, and transformers 5.25.0 drops content None before rendering.
FENCE = "`" * 3
CALL = (f"<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>lookup\n{FENCE}json\n"
        f'{{"key": "k7"}}\n{FENCE}<｜tool▁call▁end｜><｜tool▁calls▁end｜>')
CONVERSATIONS = {
    "plain": [{"role": "user", "content": "What is 17 + 25?"}, {"role": "assistant", "content": "42."}],
    "after a tool result": [{"role": "user", "content": "Find k7."}, {"role": "assistant", "content": CALL},
                            {"role": "tool", "content": "93"}, {"role": "assistant", "content": "It is 93."}],
}

found = []
for name, messages in CONVERSATIONS.items():
    out = tokenizer.apply_chat_template(messages, chat_template=template, tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=True)
    ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
    prompt_text = tokenizer.apply_chat_template(messages[:-1], chat_template=template, tokenize=False,
                                                add_generation_prompt=True)
    full_text = tokenizer.apply_chat_template(messages, chat_template=template, tokenize=False)
    print(f"--- {name}: the generation prompt ends {prompt_text[-30:]!r}")
    # The prompt the model answers at inference is prompt_text; the characters the rendered conversation shares with
    # it (its common prefix) are text the model never generates. A token starting inside them is a prompt token.
    shared = 0
    while shared < min(len(prompt_text), len(full_text)) and prompt_text[shared] == full_text[shared]:
        shared += 1
    offsets = tokenizer(full_text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    assert len(offsets) == len(ids), "the rendered text does not tokenize to the masked ids"
    for index, (token, trained) in enumerate(zip(ids, mask)):
        if offsets[index][1] <= shared - 40:
            continue
        where = "generation prompt" if offsets[index][0] < shared else "answer"
        print(f"{index:4d} {token:7d} {'trained' if trained else 'untrained':9s} {where:17s} "
              f"{tokenizer.decode([token])!r}")
        if trained and where == "generation prompt":
            found.append((name, index, token))

if found:
    for name, index, token in found:
        print(f"  {name}: token {index} {tokenizer.decode([token])!r} ({token}) is written by the generation prompt "
              f"and trained")
    print("REPRODUCED: deepseek_r1_distill_training.jinja trains text the generation prompt writes: "
          + "; ".join(f"{name}: {tokenizer.decode([t for n, _, t in found if n == name])!r} "
                      f"({len([n for n, _, _ in found if n == name])} tokens)"
                      for name in dict.fromkeys(n for n, _, _ in found)))
else:
    print("NOT REPRODUCED: no token the generation prompt writes is trained")
    sys.exit(1)
