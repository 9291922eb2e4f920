"""Everything the harness asks of ``transformers``: loading tokenizers, rendering chat templates,
and the ``return_assistant_tokens_mask`` masker (``{% generation %}`` templates).

No other harness module calls transformers directly.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.assets.tokenizers import find_tokenizer, missing_reason

# The date that templates which print "today" (Llama 3.x, gpt-oss, SmolLM3) see in golden files.
FIXED_DATE = _dt.datetime(2026, 1, 15, 12, 0, 0)


def _offline() -> None:
    # The harness never downloads: tokenizers come from local folders or the local cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


@functools.lru_cache(maxsize=None)
def _load_cached(path: str):
    _offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def load_tokenizer(name_or_path: str):
    """Load a tokenizer by registry name (``qwen3``) or folder path. Raises LookupError naming the setting.

    Returns a shallow copy each call, so a caller may set ``chat_template`` (or other attributes)
    without affecting others; the loaded files are parsed once per process.
    """
    import copy

    path = name_or_path
    if not os.path.isdir(name_or_path):
        source = find_tokenizer(name_or_path)
        if source is None:
            raise LookupError(missing_reason(name_or_path))
        path = source.path
    tokenizer = copy.copy(_load_cached(path))
    tokenizer.name_or_path = os.path.basename(os.path.normpath(name_or_path))
    return tokenizer


@contextlib.contextmanager
def frozen_template_date(when: _dt.datetime = FIXED_DATE) -> Iterator[None]:
    """Make ``strftime_now`` in every chat template return ``when`` (for golden files)."""
    from transformers.utils import chat_template_utils as ctu

    class _Frozen(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: D102 - same signature as datetime.now
            return when

    original = ctu.datetime
    ctu.datetime = _Frozen
    try:
        yield
    finally:
        ctu.datetime = original


def render(
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    add_generation_prompt: bool = False,
    **template_kwargs: Any,
) -> str:
    """The text the tokenizer's chat template renders for ``messages`` (no tokenization)."""
    return tokenizer.apply_chat_template(
        [dict(m) for m in messages],
        tools=list(tools) if tools else None,
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
        **template_kwargs,
    )


def encode_with_offsets(tokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of ``text`` exactly as a trainer tokenizes a rendered template (no extra special
    tokens: the template writes BOS itself), with each token's character span."""
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return list(encoded["input_ids"]), [tuple(span) for span in encoded["offset_mapping"]]


def special_token_strings(tokenizer) -> set[str]:
    """Strings of every special or added control token (``<|im_end|>``, ``<eos>`` ...).

    Added tokens count even when not flagged special (Phi-3's ``<|end|>`` is not); whitespace-only
    and one-character added tokens do not (they are vocabulary, not control tokens).
    """
    key = (id(getattr(tokenizer, "backend_tokenizer", tokenizer)), len(tokenizer), tuple(tokenizer.all_special_tokens))
    cached = _SPECIAL_STRINGS.get(key)
    if cached is None or cached[0] is not getattr(tokenizer, "backend_tokenizer", tokenizer):
        strings = set(tokenizer.all_special_tokens)
        strings.update(str(token) for token in _added_tokens(tokenizer).values())
        cached = (getattr(tokenizer, "backend_tokenizer", tokenizer), {s for s in strings if len(s) > 1 and s.strip()})
        _SPECIAL_STRINGS[key] = cached
    return set(cached[1])


# Per loaded vocabulary (the backend object, shared by a tokenizer's copies, is kept alive here).
_SPECIAL_STRINGS: dict[tuple, tuple[Any, set[str]]] = {}
_ADDED: dict[tuple[int, int], tuple[Any, dict[int, str]]] = {}


def _added_tokens(tokenizer) -> dict[int, str]:
    """``{id: text}`` of the added tokens, read once per vocabulary (the call is slow)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    key = (id(backend), len(tokenizer))
    cached = _ADDED.get(key) if backend is not None else None
    if cached is not None and cached[0] is backend:
        return cached[1]
    added = {int(i): str(t) for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()}
    if backend is not None:
        _ADDED[key] = (backend, added)
    return added


@functools.lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, reversed: vocabulary character -> byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


def _decoder_kinds(tokenizer) -> set[str]:
    import json

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return set()
    kinds: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("type"), str):
                kinds.add(node["type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    decoder = backend.decoder
    if decoder is None:
        return kinds
    walk(json.loads(decoder.__getstate__()))
    return kinds


def token_bytes(tokenizer, ids: Sequence[int]) -> list[bytes] | None:
    """The bytes each token id spells, or None where the tokenizer's decoder is not understood.

    Byte-level BPE (GPT-2, Llama 3, Qwen, gpt-oss): each vocabulary character is one byte.
    SentencePiece-style (Gemma, Llama 2, Phi-3): ``▁`` is a space and ``<0xNN>`` one byte. Added
    and special tokens spell their own text. Decoder steps that edit the text as a whole (Phi-3's
    leading-space strip) are not applied: callers compare against the same function's bytes
    for a reference tokenization.
    """
    kinds = _decoder_kinds(tokenizer)
    added = _added_tokens(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens([int(i) for i in ids])
    out: list[bytes] = []
    if "ByteLevel" in kinds:
        table = _byte_decoder()
        for token_id, piece in zip(ids, pieces):
            if int(token_id) in added:
                out.append(added[int(token_id)].encode("utf-8"))
            elif piece is None or any(ch not in table for ch in piece):
                return None
            else:
                out.append(bytes(table[ch] for ch in piece))
        return out
    if kinds & {"ByteFallback", "Metaspace", "Replace"}:
        for token_id, piece in zip(ids, pieces):
            if int(token_id) in added:
                out.append(added[int(token_id)].encode("utf-8"))
            elif piece is None:
                return None
            elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
                out.append(bytes([int(piece[3:5], 16)]))
            else:
                out.append(piece.replace("▁", " ").encode("utf-8"))
        return out
    return None


def convert_ids_to_tokens(tokenizer, ids: Sequence[int]) -> list[str]:
    return tokenizer.convert_ids_to_tokens(list(ids))


def decode_token(tokenizer, token_id: int) -> str:
    return tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)


def assistant_tokens_mask_masker(tokenizer, chat_template: str | None = None, **template_kwargs: Any):
    """A masker backed by ``apply_chat_template(..., return_dict=True, return_assistant_tokens_mask=True)``.

    ``chat_template`` defaults to the tokenizer's; pass a ``{% generation %}`` template (trl's
    ``*_training.jinja``) to get a non-empty mask.
    """

    def masker(messages, tools):
        out = tokenizer.apply_chat_template(
            [dict(m) for m in messages],
            tools=list(tools) if tools else None,
            chat_template=chat_template,
            tokenize=True,
            return_dict=True,
            return_assistant_tokens_mask=True,
            **template_kwargs,
        )
        return {"input_ids": list(out["input_ids"]), "assistant_masks": list(out["assistant_masks"])}

    return masker


# --- causal language models (evaluation jobs) -------------------------------------------------

# A small chat template for tokenizers trained on the spot (they have none): plain role tags,
# the assistant turn ends with the EOS token so a trained model learns to stop.
TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}"
    "{% if m['role'] == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_gpt2_lm(seed: int = 0, **config_overrides: Any):
    """A randomly initialised ``GPT2LMHeadModel`` from ``GPT2Config(**config_overrides)``.

    With no overrides this is GPT-2 124M's shape (12 layers, 768 wide, 50257 tokens): the
    weights are random, which changes nothing about speed. Never downloads anything.
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(**config_overrides))
    model.eval()
    return model


def load_causal_lm(path: str, *, dtype: str | None = None, device: str | None = None):
    """``(model, tokenizer)`` from a local model folder (``--harness-model``); never downloads."""
    _offline()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype) if dtype else "auto"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, local_files_only=True)
    if device:
        model = model.to(device)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return model, tokenizer


def train_bpe_tokenizer(texts: Sequence[str], vocab_size: int = 512, *, chat_template: str = TINY_CHAT_TEMPLATE):
    """A byte-level BPE tokenizer trained on ``texts`` in memory (no download), wrapped as a
    ``PreTrainedTokenizerFast`` with ``<|endoftext|>`` as BOS/EOS/PAD and the role tags
    ``<|system|>``, ``<|user|>``, ``<|assistant|>`` as added special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>"]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(list(texts), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=specials[1:],
    )
    tokenizer.chat_template = chat_template
    return tokenizer


# --- training runs (harness.audit) -------------------------------------------------------------


def trainer_callback_base() -> type:
    """``transformers.TrainerCallback`` (imported on first use, so harness.audit stays light)."""
    from transformers import TrainerCallback

    return TrainerCallback


def running_trainer():
    """The ``transformers.Trainer`` (trl's SFTTrainer, GRPOTrainer ...) whose method is on the call stack, or None.

    Callbacks are handed the model, the processing class and the dataloaders, never the trainer; a callback event
    is always called from one of the trainer's own methods, so its ``self`` is found a few frames up."""
    import inspect

    from transformers import Trainer

    frame = inspect.currentframe()
    try:
        while frame is not None:
            candidate = frame.f_locals.get("self")
            if isinstance(candidate, Trainer):
                return candidate
            frame = frame.f_back
        return None
    finally:
        del frame


def log_to_trainer(trainer, metrics: Mapping[str, float]) -> None:
    """Log ``metrics`` through ``Trainer.log``: the log history and every reporting callback (wandb, tensorboard).

    The base class's method, not a subclass's: trl's GRPOTrainer.log would flush (and reset) its own running
    metrics into this entry. The trainer's pending ``should_log`` (which ``on_log`` clears) is kept, so its own
    loss entry for the step is still written."""
    from transformers import Trainer

    should_log = trainer.control.should_log
    Trainer.log(trainer, dict(metrics))
    trainer.control.should_log = should_log


def trainer_logger():
    """The logger transformers' Trainer itself writes to (its level follows ``TrainingArguments.log_level``)."""
    from transformers.utils import logging

    return logging.get_logger("transformers.trainer")


def word_level_tokenizer(words: Sequence[str], chat_template: str, *, unk_token: str = "<unk>"):
    """A whitespace-split word-level tokenizer over ``words`` (no download): spaces belong to no token, so a
    ``{% generation %}`` span that ends in a space ends on a character no token covers."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {unk_token: 0, **{word: i + 1 for i, word in enumerate(dict.fromkeys(words))}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=unk_token))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token=unk_token)
    tokenizer.chat_template = chat_template
    return tokenizer


def gpt2_style_tokenizer(vocab_size: int = 50304, *, eos_id: int = 50256, chat_template: str = TINY_CHAT_TEMPLATE):
    """A GPT-2-style byte-level BPE tokenizer with exactly ``vocab_size`` entries, built in memory (no download,
    no training): the 256 byte symbols, then two-symbol merges, with ``<|endoftext|>`` (BOS/EOS/PAD) at
    ``eos_id`` — GPT-2's 50257 tokens padded to 50304 as nanoGPT pads its embedding. Tokens added afterwards
    (``tokenizer.add_tokens``) get ids from ``vocab_size`` on."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: i for i, symbol in enumerate(alphabet)}
    merges = []
    pairs = ((a, b) for a in alphabet for b in alphabet)
    next_id = len(vocab)
    while next_id < vocab_size:
        if next_id == eos_id:
            vocab["<|endoftext|>"] = next_id
        else:
            a, b = next(pairs)
            merges.append((a, b))
            vocab[a + b] = next_id
        next_id += 1
    core = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = chat_template
    return tokenizer


def encode(tokenizer, text: str, *, add_special_tokens: bool = False) -> list[int]:
    return list(tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])


def decode(tokenizer, ids: Sequence[int]) -> str:
    return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


def added_tokens(tokenizer) -> dict[int, tuple[str, bool]]:
    """``{id: (text, special)}`` of the tokens added on top of the model vocabulary."""
    return {int(i): (str(t), bool(getattr(t, "special", False)))
            for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()}


def token_id_span(tokenizer) -> tuple[int, int]:
    """(number of distinct token ids, largest id): the rows an embedding needs are ``largest id + 1``."""
    ids = set(tokenizer.get_vocab().values())
    return len(ids), max(ids)


def embedding_rows(model) -> dict[str, int]:
    """Rows of the model's input embedding and, where it has one, its output (LM head) matrix."""
    rows = {"input embedding": int(model.get_input_embeddings().weight.shape[0])}
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if output is not None and getattr(output, "weight", None) is not None:
        rows["output embedding (LM head)"] = int(output.weight.shape[0])
    return rows
