"""skyrl 0.4.0 SFT with train_on_what=all_assistant_messages: on Qwen2.5 two consecutive tool results are trained as two
separate user turns, where the chat template (and skyrl's own RL generator) puts them in one.

    pip install "skyrl[skyrl-train]==0.4.0"      # Python >= 3.12; transformers 5.16.1
    python skyrl-parallel-tool-results-split-into-separate-turns.py [TOKENIZER]

TOKENIZER: a Qwen2.5-Instruct tokenizer folder or Hub id (default Qwen/Qwen2.5-7B-Instruct). It runs
skyrl.train.sft_trainer.tokenize_chat_example (what SFTTrainer's tokenization workers call per row) with
train_on_what=ALL_ASSISTANT_MESSAGES, prints each token from the first tool result on with its loss mask, and
compares the ids with tokenizer.apply_chat_template(messages) and with what SkyRLGymGenerator.get_obs_ids_from_obs
makes of the same two results (one environment step's observations).
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
from skyrl.train.config.sft_config import TrainOnWhat  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen2.5-7B-Instruct")
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def call(number, city):
    return {"id": f"call_{number}", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": city}}}


messages = [{"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": None, "tool_calls": [call(1, "Paris"), call(2, "Rome")]},
            {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "name": "get_weather", "content": "rainy"},
            {"role": "assistant", "content": "Sunny, then rainy."}]

row = sft_trainer.tokenize_chat_example({"messages": messages, "tools": tools}, tokenizer,
                                        train_on_what=TrainOnWhat.ALL_ASSISTANT_MESSAGES)
ids = row["input_ids"]
mask = [0] * (len(ids) - row["num_actions"]) + list(row["loss_mask"])
rendering = tokenizer.apply_chat_template(sft_trainer._normalize_chat_messages(messages), tools=tools,
                                          tokenize=True, return_dict=False)
first_result = next(i for i in range(len(ids)) if tokenizer.decode(ids[i:i + 8]).startswith("<tool_response>\nsunny"))
for index in range(first_result - 4, len(ids)):
    trained = "trained" if mask[index] else "untrained"
    print(f"{index:4d} {ids[index]:7d} {trained:9s} {tokenizer.decode([ids[index]])!r}")
split = next((i for i, (a, b) in enumerate(zip(ids, rendering)) if a != b), min(len(ids), len(rendering)))
print(f"skyrl: {len(ids)} ids; apply_chat_template: {len(rendering)} ids; first difference at {split}:")
print("  skyrl    ", [(tokenizer.decode([t]), t) for t in ids[split - 3:split + 5]])
print("  rendering", [(tokenizer.decode([t]), t) for t in rendering[split - 3:split + 5]])

# skyrl's RL generator encodes one step's observations together (fixed base, then every new observation message).
base = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "I am a user."}]
base_ids = tokenizer.apply_chat_template(base, tools=tools, tokenize=True, return_dict=False)
base_ids = base_ids[:len(base_ids) - base_ids[::-1].index(tokenizer.eos_token_id)]
observation = tokenizer.apply_chat_template(base + messages[2:4], tools=tools, add_generation_prompt=True,
                                            tokenize=True, return_dict=False)[len(base_ids):]
print("SkyRLGymGenerator.get_obs_ids_from_obs for both results:", repr(tokenizer.decode(observation)))

text = tokenizer.decode(ids)
turns = text.count("<|im_start|>user\n<tool_response>")
if ids != rendering and turns == 2:
    print(f"REPRODUCED: all_assistant_messages puts the two tool results in {turns} user turns: after the first "
          f"'</tool_response>' skyrl has {[tokenizer.decode([t]) for t in ids[split:split + 5]]} "
          f"{ids[split:split + 5]} where the template has "
          f"{[tokenizer.decode([t]) for t in rendering[split:split + 2]]} "
          f"{rendering[split:split + 2]}")
else:
    print("NOT REPRODUCED: the ids are the template's rendering")
    sys.exit(1)
