"""skyrl 0.4.0 SFT: on DeepSeek-R1-Distill, an assistant tool call without text (content None, the OpenAI form) is
rendered as an empty answer: _normalize_chat_messages turns content None into "", and the template renders tool_calls
only when content is none. The call disappears from the context; a row that ends with the call is dropped.

    pip install "skyrl[skyrl-train]==0.4.0"      # Python >= 3.12; transformers 5.16.1
    python skyrl-normalized-content-drops-deepseek-tool-calls.py [TOKENIZER]

TOKENIZER: a DeepSeek-R1-Distill tokenizer folder or Hub id (default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B). It
runs skyrl.train.sft_trainer.tokenize_chat_example (what SFTTrainer's tokenization workers call per row, default
train_on_what=last_assistant_message) and compares its ids with tokenizer.apply_chat_template(messages).
"""

import sys


def load_skyrl_sft_trainer():
    """skyrl.train.sft_trainer. With `pip install "skyrl[skyrl-train]==0.4.0"` on Python >= 3.12 this is a plain
    import. Where ray or orjson is not installed, or on Python 3.11 (pydantic refuses typing.TypedDict there),
    stand-ins are put in place while the module loads: it imports ray and orjson at load, and the tokenization below
    calls neither."""
    import importlib.abc
    import importlib.machinery
    import importlib.util
    import types
    import typing

    class Anything:
        def __init__(self, *args, **kwargs):
            pass

        def __call__(self, *args, **kwargs):
            return Anything()

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return Anything()

        def __getitem__(self, key):
            return Anything()

        def __mro_entries__(self, bases):
            return (object,)

        def __or__(self, other):
            return object

        __ror__ = __or__

    class StandIn(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return Anything()

    missing = [top for top in ("ray", "orjson") if importlib.util.find_spec(top) is None]

    class StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path, target=None):
            if any(name == top or name.startswith(top + ".") for top in missing):
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None

        def create_module(self, spec):
            return StandIn(spec.name)

        def exec_module(self, module):
            module.__path__ = []

    finder = StandInFinder() if missing else None
    if finder:
        sys.meta_path.insert(0, finder)
    typed_dict = typing.TypedDict
    if sys.version_info < (3, 12):
        import typing_extensions

        typing.TypedDict = typing_extensions.TypedDict
    try:
        import skyrl.train.sft_trainer as sft_trainer
    finally:
        typing.TypedDict = typed_dict
        if finder:
            sys.meta_path.remove(finder)
    return sft_trainer


sft_trainer = load_skyrl_sft_trainer()
from transformers import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained(
    sys.argv[1] if len(sys.argv) > 1 else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
# Arguments as a JSON string: this template concatenates them as text.
call = {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
messages = [{"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "content": "sunny"},
            {"role": "assistant", "content": "Sunny."}]

rendering = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False)
print("apply_chat_template:", repr(tokenizer.decode(rendering)))
print("skyrl normalizes the call to:", sft_trainer._normalize_chat_messages(messages)[1])
row = sft_trainer.tokenize_chat_example({"messages": messages}, tokenizer)
ids = row["input_ids"]
mask = [0] * (len(ids) - row["num_actions"]) + list(row["loss_mask"])
print("skyrl's input_ids:  ", repr(tokenizer.decode(ids)))
for index, (token, trained) in enumerate(zip(ids, mask)):
    print(f"{index:4d} {token:7d} {'trained' if trained else 'untrained':9s} {tokenizer.decode([token])!r}")
ends_with_call = sft_trainer.tokenize_chat_example({"messages": messages[:2]}, tokenizer)
print(f"the same conversation ending with the call: row {'dropped (None)' if ends_with_call is None else 'kept'}")

call_text = "<｜tool▁calls▁begin｜>"
if call_text in tokenizer.decode(rendering) and call_text not in tokenizer.decode(ids):
    assistant = tokenizer.convert_tokens_to_ids("<｜Assistant｜>")
    at = ids.index(assistant)
    print(f"REPRODUCED: the tool call is not in skyrl's ids: after '<｜Assistant｜>' ({assistant}) comes "
          f"{tokenizer.decode([ids[at + 1]])!r} ({ids[at + 1]}) where the template writes '<｜tool▁calls▁begin｜>' "
          f"get_weather ...; the row ending with the call is "
          + ("dropped" if ends_with_call is None else "kept"))
else:
    print("NOT REPRODUCED: skyrl's ids hold the tool call")
    sys.exit(1)
