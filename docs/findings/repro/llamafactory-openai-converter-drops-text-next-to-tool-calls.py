"""LlamaFactory 0.9.5: the "openai" dataset formatting drops an assistant's text when the message also calls a tool.

    pip install llamafactory==0.9.5 transformers==5.6.0
    python llamafactory-openai-converter-drops-text-next-to-tool-calls.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

OpenAIDatasetConverter.__call__ replaces the content of an assistant message with tool_calls by the JSON of its
calls (`content = json.dumps(tool_calls_list)`), so "Let me check." is neither in the ids nor trained, although the
function formatter writes text before the call when it is given it and Qwen2.5's template renders it.
"""
import importlib.machinery
import importlib.util
import json
import sys
import types

from transformers import AutoTokenizer


def import_llamafactory():
    """LlamaFactory's data modules. llamafactory.data.mm_plugin imports torchaudio at load (audio inputs only);
    where no torchaudio is installed for the running torch, an empty stand-in lets the text path load."""
    if "torchaudio" not in sys.modules and importlib.util.find_spec("torchaudio") is None:
        stand_in = types.ModuleType("torchaudio")
        stand_in.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
        sys.modules["torchaudio"] = stand_in
    from llamafactory.data.converter import DATASET_CONVERTERS
    from llamafactory.data.parser import DatasetAttr
    from llamafactory.data.processor.supervised import SupervisedDatasetProcessor
    from llamafactory.data.template import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments
    return DATASET_CONVERTERS, DatasetAttr, SupervisedDatasetProcessor, get_template_and_fix_tokenizer, DataArguments


def train_row(tokenizer_path, messages, tools=None, formatting="openai", **data_args):
    """input_ids and labels of one row as `llamafactory-cli train` (stage sft) builds them from a dataset_info.json
    entry with this formatting and the OpenAI-style tags."""
    converters, attr_cls, processor_cls, get_template, data_args_cls = import_llamafactory()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    args = data_args_cls(cutoff_len=data_args.pop("cutoff_len", 1 << 20), **data_args)
    template = get_template(tokenizer, args)
    attr = attr_cls("file", "demo", formatting=formatting, messages="messages", tools="tools", role_tag="role",
                    content_tag="content", user_tag="user", assistant_tag="assistant", observation_tag="tool",
                    system_tag="system")
    row = converters[formatting](attr, args)({"messages": messages, "tools": json.dumps(tools) if tools else ""})
    processor = processor_cls(template=template, tokenizer=tokenizer, processor=None, data_args=args)
    out = processor.preprocess_dataset({key: [value] for key, value in row.items()})
    return tokenizer, row, out["input_ids"][0], out["labels"][0]


def show(tokenizer, ids, labels):
    for i, (token, label) in enumerate(zip(ids, labels)):
        print(f"{i:4d} {token:7d} {'trained  ' if label != -100 else 'untrained'} {tokenizer.decode([token])!r}")


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
MESSAGES = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "Let me check.", "tool_calls": [{"id": "call_1", "type": "function",
     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "assistant", "content": "Sunny."},
]

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct"
    tokenizer, row, ids, labels = train_row(path, [dict(m) for m in MESSAGES], TOOLS, template="qwen")
    show(tokenizer, ids, labels)
    print(f"converted call turn: {row['_prompt'][1]}")
    served = tokenizer.apply_chat_template(MESSAGES, tools=TOOLS, tokenize=False)
    if "Let me check." in served and "Let me check." not in tokenizer.decode(ids):
        print("REPRODUCED: 'Let' ' me' ' check' '.' before <tool_call> is neither in the ids nor trained "
              "(the template renders 'Let me check.\\n<tool_call>')")
        sys.exit(0)
    print("NOT REPRODUCED: the assistant text beside the call is kept")
    sys.exit(1)
