"""axolotl 0.21.0: an assistant tool-call message with content null loses its content key, and DeepSeek-R1's
template, which reads message['content'], raises; with content "" that template renders no tool call at all.

    pip install axolotl==0.21.0
    python axolotl-null-content-dropped-deepseek-r1-tool-call-raises.py [TOKENIZER]
    # default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B

tokenize_prompt starts with remove_none_values (src/axolotl/utils/dict.py l. 41-51, deliberate since
axolotl-ai-cloud/axolotl#2909) and transform_message copies only non-None fields (chat_template.py l. 1096-1098), so
the OpenAI-format {"role": "assistant", "content": null, "tool_calls": [...]} reaches the template without
'content'; docs/dataset-formats/conversation.qmd ("Using tool use") shows that message without a content key too.
DeepSeek-R1-Distill's template tests message['content'] is none and raises UndefinedError on the missing key
(tokenizer.apply_chat_template raises the same without the key, and renders the row with content null). With
content "" the template takes its plain-answer branch and writes no tool call, so no data format trains the call.
"""
import sys

from transformers import AutoTokenizer

from axolotl.prompt_strategies import chat_template
from axolotl.utils.dict import DictDefault


def messages(content):
    return [{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": content, "tool_calls": [{"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
            {"role": "assistant", "content": "Sunny."}]


if __name__ == "__main__":
    tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1
                                              else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
    ids = tokenizer.apply_chat_template(messages(None), tokenize=True, return_dict=False)
    print(f"tokenizer.apply_chat_template renders the row with content null: {len(ids)} tokens")
    strategy = chat_template.load(tokenizer, DictDefault({"sequence_len": 4096, "train_on_inputs": False}),
                                  {"type": "chat_template"})
    out = strategy.tokenize_prompt({"messages": messages("")})
    print(f'with content "": {len(out["input_ids"])} tokens (the template writes no tool call for it), '
          f'{sum(label != -100 for label in out["labels"])} trained')
    try:
        strategy.tokenize_prompt({"messages": messages(None)})
    except Exception as error:
        print(f"REPRODUCED: with content null tokenize_prompt raised {type(error).__name__}: {error}")
        sys.exit(0)
    print("NOT REPRODUCED: the row with content null tokenized")
    sys.exit(1)
