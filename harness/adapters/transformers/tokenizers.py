"""Tokenizers: loading them offline, encoding and decoding, their special tokens and the bytes each token spells."""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Sequence
from typing import Any

from harness.assets.tokenizers import find_tokenizer, missing_reason


def _offline() -> None:
    # The harness never downloads: tokenizers come from local folders or the local cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


@functools.lru_cache(maxsize=None)
def _load_cached(path: str):
    _offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


# Corpus vocabularies are private copies of a base vocabulary (100-300 MB each): the last few are kept.
@functools.lru_cache(maxsize=8)
def _load_corpus_vocabulary(base_path: str, bos: str | None, eos: str | None, tokens: tuple[tuple[str, bool], ...]):
    """A private copy of a base vocabulary (tokens are added to it) with BOS/EOS set to the real model's strings
    and each control token ``(text, special)`` an added token with the real model's ``special`` flag (a non-special
    one tokenizes as one token and decodes even with ``skip_special_tokens``, as in the real tokenizer); shared by
    corpus templates that add the same ones. The base itself where it already has them all, flags included (callers
    copy it before setting the template)."""
    from tokenizers import AddedToken

    base = _load_cached(base_path)
    held = {str(t): bool(t.special) for t in base.backend_tokenizer.get_added_tokens_decoder().values()}
    named = set(base.all_special_tokens)
    if (bos or base.bos_token) == base.bos_token and (eos or base.eos_token) == base.eos_token and all(
            held.get(text) == special and (text in named) == special for text, special in tokens):
        return base  # nothing to add (a Qwen template over Qwen's vocabulary): no private copy needed
    tokenizer = copy.deepcopy(base)

    def token(text: str, special: bool = True) -> AddedToken:
        return AddedToken(text, special=special, normalized=False, lstrip=False, rstrip=False, single_word=False)

    specials: dict = {"extra_special_tokens": [token(text) for text, special in tokens if special]}
    if bos:
        specials["bos_token"] = token(bos)
    if eos:
        specials["eos_token"] = token(eos)
    tokenizer.add_special_tokens(specials, replace_extra_special_tokens=False)
    plain = {text for text, special in tokens if not special}
    if plain:  # added, or an existing token's flag set to non-special (the base may hold it as special)
        tokenizer.add_tokens([token(text, special=False) for text in sorted(plain)])
        tokenizer.extra_special_tokens = [t for t in tokenizer.extra_special_tokens if str(t) not in plain]
    return tokenizer


@functools.lru_cache(maxsize=8)
def _load_corpus_cached(name: str, base_path: str):
    """Corpus template ``name`` over its base vocabulary (see ``harness.assets.template_corpus``)."""
    from harness.assets.template_corpus import corpus_template

    template = corpus_template(name)
    tokens = tuple((t.content, t.special) for t in template.added_tokens)
    tokenizer = copy.copy(_load_corpus_vocabulary(base_path, template.bos_token, template.eos_token, tokens))
    tokenizer.chat_template = template.text()
    return tokenizer


def load_tokenizer(name_or_path: str):
    """Load a tokenizer by registry name (``qwen3``) or folder path. Raises LookupError naming the setting.

    Returns a shallow copy each call, so a caller may set ``chat_template`` (or other attributes)
    without affecting others; the loaded files are parsed once per process. A name of the template
    corpus (``harness.assets.template_corpus``) gives its base vocabulary with its template and tokens.
    """
    path = name_or_path
    if not os.path.isdir(name_or_path):
        source = find_tokenizer(name_or_path)
        if source is None:
            raise LookupError(missing_reason(name_or_path))
        path = source.path
        if source.corpus_template is not None:
            tokenizer = copy.copy(_load_corpus_cached(source.corpus_template, path))
            tokenizer.name_or_path = source.corpus_template
            return tokenizer
    tokenizer = copy.copy(_load_cached(path))
    tokenizer.name_or_path = os.path.basename(os.path.normpath(name_or_path))
    return tokenizer


def encode_with_offsets(tokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids of ``text`` exactly as a trainer tokenizes a rendered template (no extra special
    tokens: the template writes BOS itself), with each token's character span."""
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return list(encoded["input_ids"]), [tuple(span) for span in encoded["offset_mapping"]]


def encode(tokenizer, text: str, *, add_special_tokens: bool = False) -> list[int]:
    return list(tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])


def decode(tokenizer, ids: Sequence[int]) -> str:
    return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


def convert_ids_to_tokens(tokenizer, ids: Sequence[int]) -> list[str]:
    return tokenizer.convert_ids_to_tokens(list(ids))


def decode_token(tokenizer, token_id: int) -> str:
    return tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)


def special_token_strings(tokenizer) -> set[str]:
    """Strings of every special or added control token (``<|im_end|>``, ``<eos>`` ...).

    Added tokens count even when not flagged special (Phi-3's ``<|end|>`` is not); whitespace-only
    and one-character added tokens do not (they are vocabulary, not control tokens).
    """
    key = (id(getattr(tokenizer, "backend_tokenizer", tokenizer)), _vocab_size(tokenizer), tuple(tokenizer.all_special_tokens))
    cached = _SPECIAL_STRINGS.get(key)
    if cached is None or cached[0] is not getattr(tokenizer, "backend_tokenizer", tokenizer):
        strings = set(tokenizer.all_special_tokens)
        strings.update(str(token) for token in _added_tokens(tokenizer).values())
        cached = (getattr(tokenizer, "backend_tokenizer", tokenizer), {s for s in strings if len(s) > 1 and s.strip()})
        _SPECIAL_STRINGS[key] = cached
    return set(cached[1])


def _vocab_size(tokenizer) -> int:
    """Vocabulary size with added tokens, for cache keys: the backend's count (``len(tokenizer)`` rebuilds the
    added-token map on every call in some transformers releases: 0.15-0.5 s on 5.15)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and hasattr(backend, "get_vocab_size"):
        return int(backend.get_vocab_size(with_added_tokens=True))
    return len(tokenizer)


# Per loaded vocabulary (the backend object, shared by a tokenizer's copies, is kept alive here).
_SPECIAL_STRINGS: dict[tuple, tuple[Any, set[str]]] = {}
_ADDED: dict[tuple[int, int], tuple[Any, dict[int, str]]] = {}


def _added_tokens(tokenizer) -> dict[int, str]:
    """``{id: text}`` of the added tokens, read once per vocabulary (the call is slow)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    key = (id(backend), _vocab_size(tokenizer))
    cached = _ADDED.get(key) if backend is not None else None
    if cached is not None and cached[0] is backend:
        return cached[1]
    added = {int(i): str(t) for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()}
    if backend is not None:
        _ADDED[key] = (backend, added)
    return added


def added_tokens(tokenizer) -> dict[int, tuple[str, bool]]:
    """``{id: (text, special)}`` of the tokens added on top of the model vocabulary."""
    return {int(i): (str(t), bool(getattr(t, "special", False)))
            for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()}


def token_id_span(tokenizer) -> tuple[int, int]:
    """(number of distinct token ids, largest id): the rows an embedding needs are ``largest id + 1``."""
    ids = set(tokenizer.get_vocab().values())
    return len(ids), max(ids)


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
