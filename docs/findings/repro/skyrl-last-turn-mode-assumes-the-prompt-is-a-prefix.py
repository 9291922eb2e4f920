"""skyrl 0.4.0 SFT: on DeepSeek-R1-Distill the default train_on_what=last_assistant_message leaves the first tokens of
the answer untrained (and drops rows whose answer is that short), because it takes the prompt rendered with the
generation prompt '<｜Assistant｜><think>\n' for a prefix of the conversation; all_assistant_messages raises.

    pip install "skyrl[skyrl-train]==0.4.0"      # Python >= 3.12; transformers 5.16.1
    python skyrl-last-turn-mode-assumes-the-prompt-is-a-prefix.py [TOKENIZER]

TOKENIZER: a DeepSeek-R1-Distill tokenizer folder or Hub id (default deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B). It
runs skyrl.train.sft_trainer.tokenize_chat_example, what SFTTrainer's tokenization workers call for each row, and
prints each token with its loss mask (the last num_actions tokens carry loss_mask, as collate_sft_batch lays it out).
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

tokenizer = AutoTokenizer.from_pretrained(
    sys.argv[1] if len(sys.argv) > 1 else "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}]

prompt = tokenizer.apply_chat_template(messages[:1], add_generation_prompt=True, tokenize=True, return_dict=False)
full = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False)
print("prompt with the generation prompt:", [tokenizer.decode([t]) for t in prompt])
print("conversation:                     ", [tokenizer.decode([t]) for t in full])

row = sft_trainer.tokenize_chat_example({"messages": messages}, tokenizer)
ids = row["input_ids"]
mask = [0] * (len(ids) - row["num_actions"]) + list(row["loss_mask"])
answer_start = full.index(tokenizer.convert_tokens_to_ids("<｜Assistant｜>")) + 1
for index, (token, trained) in enumerate(zip(ids, mask)):
    role = "assistant" if index >= answer_start else "prompt"
    print(f"{index:4d} {token:7d} {'trained' if trained else 'untrained':9s} {role:9s} {tokenizer.decode([token])!r}")
missed = [(ids[i], tokenizer.decode([ids[i]])) for i in range(answer_start, len(ids)) if not mask[i]]

short = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi"}]
dropped = sft_trainer.tokenize_chat_example({"messages": short}, tokenizer) is None
print(f"answer 'Hi' (2 tokens with its end of sentence): row {'dropped (None)' if dropped else 'kept'}")
try:
    sft_trainer.tokenize_chat_example({"messages": messages}, tokenizer,
                                      train_on_what=TrainOnWhat.ALL_ASSISTANT_MESSAGES)
    raised = ""
except AssertionError as error:
    raised = str(error)
print(f"train_on_what=all_assistant_messages: {'AssertionError: ' + raised if raised else 'no error'}")

if missed:
    shown = ", ".join(f"{text!r} ({token})" for token, text in missed)
    print(f"REPRODUCED: last_assistant_message does not train the answer's first tokens {shown} (the prompt's "
          f"'<think>' '\\n' are not in the conversation)" + ("; a 2-token answer is dropped" if dropped else "")
          + ("; all_assistant_messages raises AssertionError" if raised else ""))
else:
    print("NOT REPRODUCED: every answer token is trained")
    sys.exit(1)
