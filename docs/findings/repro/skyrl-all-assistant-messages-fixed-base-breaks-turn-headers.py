"""skyrl 0.4.0 SFT with train_on_what=all_assistant_messages renders each message alone after a fixed
[system, user] base conversation and keeps the tokens past the base's length. Where that base is not a prefix of the
longer rendering, or is a conversation the template refuses, rows come out wrong or raise:

* Phi-3.5-mini-instruct: the template closes a conversation with '<|endoftext|>', so the base ends with it; every
  later message loses its '<|assistant|>' / '<|user|>' header, which is replaced by '<|endoftext|>'.
* Gemma 2: the base has a system message, which Gemma 2's template refuses: every row raises.
* Gemma 3, Aya Expanse: a user message after the base's user message breaks their alternation check: every
  multi-turn row raises. Gemma 3 also trains the '\n' after '<end_of_turn>' (the "tokens after the EOS" rule looks
  for tokenizer.eos_token_id, '<eos>' there).

    pip install "skyrl[skyrl-train]==0.4.0"      # Python >= 3.12; transformers 5.16.1
    python skyrl-all-assistant-messages-fixed-base-breaks-turn-headers.py [TOKENIZER]

TOKENIZER: a tokenizer folder or Hub id (default microsoft/Phi-3.5-mini-instruct). It runs
skyrl.train.sft_trainer.tokenize_chat_example (what SFTTrainer's tokenization workers call per row) with
train_on_what=ALL_ASSISTANT_MESSAGES on a two-turn conversation and compares the ids with
tokenizer.apply_chat_template(messages).
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

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "microsoft/Phi-3.5-mini-instruct")
messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye."}]
rendering = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False)
print("apply_chat_template:", repr(tokenizer.decode(rendering)))
try:
    row = sft_trainer.tokenize_chat_example({"messages": messages}, tokenizer,
                                            train_on_what=TrainOnWhat.ALL_ASSISTANT_MESSAGES)
except Exception as error:  # the template's own refusal, raised from inside skyrl's per-message rendering
    print(f"REPRODUCED: all_assistant_messages raises {type(error).__name__}: {error} (the template renders the "
          f"conversation itself)")
    sys.exit(0)

ids = row["input_ids"]
mask = [0] * (len(ids) - row["num_actions"]) + list(row["loss_mask"])
print("skyrl's input_ids:  ", repr(tokenizer.decode(ids)))
for index, (token, trained) in enumerate(zip(ids, mask)):
    print(f"{index:4d} {token:7d} {'trained' if trained else 'untrained':9s} {tokenizer.decode([token])!r}")

problems = []
eos = tokenizer.eos_token_id
if ids != rendering and ids.count(eos) > rendering.count(eos):
    # The fixed base ended with the template's end-of-conversation token, which now stands where headers belong.
    split = next((i for i, (a, b) in enumerate(zip(ids, rendering)) if a != b), min(len(ids), len(rendering)))
    problems.append(f"the ids differ from the rendering from token {split} on: skyrl "
                    f"{[(tokenizer.decode([t]), t) for t in ids[split:split + 3]]}, template "
                    f"{[(tokenizer.decode([t]), t) for t in rendering[split:split + 3]]}")
    inserted = [i for i, t in enumerate(ids) if t == eos and i + 1 < len(ids)]
    problems.append(f"{tokenizer.decode([eos])!r} ({eos}) stands where a turn header belongs at positions {inserted}")
end_of_turn = [i for i in range(1, len(ids)) if mask[i] and tokenizer.decode([ids[i]]).strip() == ""
               and tokenizer.decode([ids[i - 1]]) in ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>")]
if end_of_turn:
    first = end_of_turn[0]
    problems.append(f"the {tokenizer.decode([ids[first]])!r} after {tokenizer.decode([ids[first - 1]])!r} "
                    f"is trained at positions {end_of_turn}")
if problems:
    print("REPRODUCED: " + "; ".join(problems))
else:
    print("NOT REPRODUCED: no row error, no end-of-conversation token in place of a header, nothing trained after an "
          "end of turn")
    sys.exit(1)
