"""axolotl 0.21.0: every gpt-oss conversation with a tool call and its result fails to tokenize.

    pip install axolotl==0.21.0
    python axolotl-gpt-oss-tool-calls-raise-in-find-turn.py [TOKENIZER]   # default openai/gpt-oss-20b

To locate an assistant turn, ChatTemplateStrategy._find_turn_from_text re-renders the conversation with the turn
replaced by _build_dummy_turn's {"role": ..., "content": sentinel} (src/axolotl/prompt_strategies/chat_template.py
l. 786-792, 870-885): the placeholder drops the turn's tool_calls. gpt-oss's template raises on a tool message that
follows no assistant tool call, so tokenize_prompt raises for the row (the examples' eot_tokens ['<|end|>'] and
field_thinking/template_thinking_key 'thinking' change nothing). The same conversation renders with
tokenizer.apply_chat_template. examples/gpt-oss/README.md ("Tool use") documents tool-calling datasets for gpt-oss.
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
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "assistant", "content": "Sunny."},
]

if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "openai/gpt-oss-20b")
    ids = tokenizer.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=True, return_dict=False)
    print(f"tokenizer.apply_chat_template renders the row: {len(ids)} tokens")
    config = DictDefault({"sequence_len": 4096, "train_on_inputs": False, "eot_tokens": ["<|end|>"]})
    strategy = chat_template.load(tokenizer, config, {"type": "chat_template", "field_thinking": "thinking",
                                                      "template_thinking_key": "thinking"})
    try:
        out = strategy.tokenize_prompt({"messages": [dict(m) for m in MESSAGES], "tools": TOOLS})
    except Exception as error:  # jinja2.exceptions.TemplateError from the placeholder render
        print(f"REPRODUCED: tokenize_prompt raised {type(error).__name__}: {error} (no token of the row is "
              "trained; the placeholder turn lost its tool_calls)")
        sys.exit(0)
    for i, (token, label) in enumerate(zip(out["input_ids"], out["labels"])):
        print(f"{i:4d} {token:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token])!r}")
    print("NOT REPRODUCED: tokenize_prompt tokenized the tool-calling row")
    sys.exit(1)
