r"""LlamaFactory 0.9.5: the "openai" dataset formatting joins consecutive tool results with Qwen's <tool_response> tags,
whatever the template.

    pip install llamafactory==0.9.5 transformers==5.6.0
    python llamafactory-openai-converter-joins-tool-results-with-qwen-tags.py [TOKENIZER]   # default meta-llama/Llama-3.1-8B-Instruct

OpenAIDatasetConverter.__call__ merges the tool messages that follow one call turn into one observation,
"\n</tool_response>\n<tool_response>\n".join(tool_responses): right for the qwen template (its observation slot
wraps the content in <tool_response> ... </tool_response>), literal text in any other. With template "llama3" the
ipython turn reads "sunny\n</tool_response>\n<tool_response>\nrainy". The llama3 tool prompt reads the
clock (datetime.now()): the date is fixed at 26 Jul 2024.
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
    {"role": "user", "content": "Weather in Paris and Lyon?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Lyon"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    {"role": "tool", "tool_call_id": "call_2", "content": "rainy"},
    {"role": "assistant", "content": "Sunny in Paris, rainy in Lyon."},
]

class FixedDay(__import__("datetime").datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2024, 7, 26)


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "meta-llama/Llama-3.1-8B-Instruct"
    import_llamafactory()
    import llamafactory.data.tool_utils as tool_utils
    tool_utils.datetime = FixedDay  # the llama3 tool prompt writes datetime.now(): one fixed day for every run
    template = "qwen" if "qwen" in path.lower() else "llama3"
    tokenizer, row, ids, labels = train_row(path, [dict(m) for m in MESSAGES], TOOLS, template=template)
    show(tokenizer, ids, labels)
    print(f"observation turn: {row['_prompt'][2]}")
    text = tokenizer.decode(ids)
    if template != "qwen" and "</tool_response>" in text:
        eot = tokenizer.convert_tokens_to_ids("<|eot_id|>") if "<|eot_id|>" in tokenizer.get_vocab() else None
        start = next(i for i in range(len(ids)) if "</" in tokenizer.decode(ids[i:i + 2]) and
                     "tool" in tokenizer.decode(ids[i:i + 3]))
        end = next((i for i in range(start, len(ids)) if ids[i] == eot), start + 9)
        pieces = " ".join(repr(tokenizer.decode([t])) for t in ids[start - 3:end])
        print(f"REPRODUCED: the tool results are written {pieces} in one {template} observation turn, untrained: "
              "Qwen's </tool_response> <tool_response> tags as plain text")
        sys.exit(0)
    print(f"NOT REPRODUCED: no <tool_response> text in the {template} rendering")
    sys.exit(1)
