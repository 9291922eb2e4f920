"""axolotl 0.21.0: in "training on last message" mode, the row's tools are left out of the trained text.

    pip install axolotl==0.21.0
    python axolotl-last-message-mode-drops-the-tools.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

docs/dataset-formats/conversation.qmd "Training on last message" (roles_to_train: and train_on_eos: left empty)
takes ChatTemplateStrategy._tokenize_single_prompt's legacy branch (src/axolotl/prompt_strategies/chat_template.py
l. 474-509), which calls self.prompter.build_prompt(...) without tools=, while the default branch passes
tools=self._get_tools(prompt) (l. 512-513). The tool block the template writes for the row's tools (Qwen2.5:
'# Tools ... <tools>...</tools>' in the system turn) is missing from the ids, so the model learns the tool call
without the tool definitions it is served with.
"""
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
MESSAGES = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
    strategy = chat_template.load(tokenizer, DictDefault({"sequence_len": 4096, "train_on_inputs": False}),
                                  {"type": "chat_template", "roles_to_train": None, "train_on_eos": None})
    out = strategy.tokenize_prompt({"messages": [dict(m) for m in MESSAGES], "tools": TOOLS})
    ids, labels = list(out["input_ids"]), list(out["labels"])
    for i, (token, label) in enumerate(zip(ids, labels)):
        print(f"{i:4d} {token:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token])!r}")
    served = tokenizer.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=False)
    text = tokenizer.decode(ids)
    served_ids = tokenizer(served, add_special_tokens=False)["input_ids"]
    print(f"served with tools: {len(served_ids)} tokens; axolotl trains on: {len(ids)} tokens")
    if "Weather for a city." in served and "Weather for a city." not in text:
        print("REPRODUCED: the tool definitions are not in the trained text (the rendering with tools= holds the "
              "schema's 'Weather for a city.'; axolotl's ids do not)")
        sys.exit(0)
    print("NOT REPRODUCED: the trained text holds the tool definitions")
    sys.exit(1)
