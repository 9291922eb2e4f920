"""LlamaFactory 0.9.5: cutoff_len truncation cuts the end of a prompt, assistant header included, and trains the
answer after the cut user text.

    pip install llamafactory==0.9.5 transformers==5.6.0
    python llamafactory-cutoff-len-truncation-drops-the-assistant-header.py [TOKENIZER]   # default Qwen/Qwen2.5-7B-Instruct

SupervisedDatasetProcessor._encode_data_example (src/llamafactory/data/processor/supervised.py) keeps
source_ids[:source_len] of a turn that does not fit, with infer_seqlen (processor_utils.py) preferring the
response: the user turn is cut mid-content, its <|im_end|> and "<|im_start|>assistant\n" are dropped, and "Ok."
is trained right after " word". Upstream: https://github.com/hiyouga/LlamaFactory/issues/3143 (closed as a
duplicate of https://github.com/hiyouga/LlamaFactory/issues/1575).
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


MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "word " * 40}, {"role": "assistant", "content": "Ok."}]

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct"
    tokenizer, row, ids, labels = train_row(path, [dict(m) for m in MESSAGES], template="qwen", cutoff_len=50)
    show(tokenizer, ids, labels)
    first = next(i for i, label in enumerate(labels) if label != -100 and i > 30)
    before = tokenizer.decode(ids[first - 3:first])
    if len(ids) == 50 and "assistant" not in before:
        print(f"REPRODUCED: 'Ok' ({ids[first]}) is trained at {first} right after {before!r}: the last user "
              "turn's end, its <|im_end|> and '<|im_start|>assistant\\n' are cut")
        sys.exit(0)
    print("NOT REPRODUCED: the trained answer follows its assistant header")
    sys.exit(1)
