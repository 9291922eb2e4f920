"""LlamaFactory 0.9.5: the "openai" dataset formatting rewrites every row's system prompt.

    pip install llamafactory==0.9.5 transformers==5.6.0
    python llamafactory-openai-converter-rewrites-system-prompt.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

OpenAIDatasetConverter.__call__ (src/llamafactory/data/converter.py) sets the system prompt of a row without
system message and tools to "detailed thinking off", appends "\ndetailed thinking off" to a given system prompt
(no tools) and "\n" to one with tools. With template "qwen" the row is trained under "detailed thinking off"
instead of the template's default system prompt. (The "sharegpt" formatting, data/README's choice for OpenAI-style
data, leaves the system prompt alone: shown below for comparison.)
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


MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct"
    tokenizer, row, ids, labels = train_row(path, [dict(m) for m in MESSAGES], template="qwen")
    show(tokenizer, ids, labels)
    _, documented, _, _ = train_row(path, [dict(m) for m in MESSAGES], formatting="sharegpt", template="qwen")
    print(f"system prompt: openai formatting {row['_system']!r}; sharegpt formatting {documented['_system']!r}")
    text = tokenizer.decode(ids)
    if "detailed thinking off" in text:
        start = text.index("<|im_start|>system\n") + len("<|im_start|>system\n")
        print("REPRODUCED: the system turn is " + repr(text[start:text.index("<|im_end|>", start)])
              + " ('d' 'etailed' ' thinking' ' off'), not the template's default 'You are Qwen, created by Alibaba "
              "Cloud. You are a helpful assistant.'")
        sys.exit(0)
    print("NOT REPRODUCED: the system prompt is not rewritten")
    sys.exit(1)
