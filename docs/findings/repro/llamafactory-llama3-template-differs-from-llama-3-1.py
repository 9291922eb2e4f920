"""LlamaFactory 0.9.5: the "llama3" template (README: Llama 3/3.1/3.2) is not Llama-3.1's chat template.

    pip install llamafactory==0.9.5 transformers==5.6.0
    python llamafactory-llama3-template-differs-from-llama-3-1.py [TOKENIZER]   # default meta-llama/Llama-3.1-8B-Instruct

LlamaFactory encodes rows with its registered templates (src/llamafactory/data/template.py, register_template
name="llama3", tool format "llama3" in tool_utils.py, which follows the template's tools_in_user_message=False
variant). Compared with that variant: with tools, the system turn has no "Environment: ipython"; tool results are
written raw where the template writes them as JSON; without tools the "Cutting Knowledge Date" / "Today Date" lines
are missing. The row is in data/README's sharegpt form (function_call, observation), so
no converter is involved. Both sides read the clock: the date is fixed at 26 Jul 2024 on both.
Upstream: https://github.com/hiyouga/LlamaFactory/issues/6889 (closed).
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


import datetime as _datetime

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
OPENAI = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
    {"role": "assistant", "content": "Sunny."},
]
SHAREGPT = [OPENAI[0], {"role": "function_call", "content": json.dumps({"name": "get_weather",
                                                                          "arguments": {"city": "Paris"}})},
            {"role": "tool", "content": "sunny"}, OPENAI[3]]


class FixedDay(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2024, 7, 26)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "meta-llama/Llama-3.1-8B-Instruct"
    import_llamafactory()
    import llamafactory.data.tool_utils as tool_utils
    tool_utils.datetime = FixedDay  # Llama3ToolUtils.tool_formatter writes datetime.now() into the tool prompt
    tokenizer, row, ids, labels = train_row(path, [dict(m) for m in SHAREGPT], TOOLS, formatting="sharegpt",
                                            template="llama3")
    show(tokenizer, ids, labels)
    # LlamaFactory's Llama3ToolUtils follows the template's tools_in_user_message=False variant (tool_utils.py):
    # compare with that variant, so only the differences that remain are named
    served = tokenizer.apply_chat_template(OPENAI, tools=TOOLS, tokenize=False, date_string="26 Jul 2024",
                                           tools_in_user_message=False)
    trained = tokenizer.decode(ids)
    print(f"served (tools_in_user_message=False): {len(tokenizer(served, add_special_tokens=False)['input_ids'])} "
          f"tokens; trained: {len(ids)}")
    quoted = chr(34) + "sunny" + chr(34)
    if "Environment: ipython" in served and "Environment: ipython" not in trained:
        print("REPRODUCED: the system turn lacks 'Environment' ':' ' ip' 'ython' (Llama-3.1's template writes it "
              f"whenever tools are given); the tool result is {'raw' if quoted not in trained else 'JSON'} where the "
              f"template writes {quoted if quoted in served else 'it raw'}")
        sys.exit(0)
    print("NOT REPRODUCED: the llama3 template writes the Llama-3.1 tool system turn")
    sys.exit(1)
