"""Models and tokenizers built on the spot from a config (random init, no download): the one byte-level BPE builder, the
tiny causal LMs, and real models loaded from a local folder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from harness.adapters.transformers.tokenizers import _offline


# A small chat template for tokenizers trained on the spot (they have none): plain role tags,
# the assistant turn ends with the EOS token so a trained model learns to stop.
TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}"
    "{% if m['role'] == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def train_bpe_tokenizer(
    texts: Iterable[str],
    vocab_size: int = 512,
    *,
    special_tokens: Sequence[str] = ("<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>"),
    bos_token: str | None = "<|endoftext|>",
    eos_token: str = "<|endoftext|>",
    pad_token: str = "<|endoftext|>",
    chat_template: str = TINY_CHAT_TEMPLATE,
    split_digits: bool = False,
    merge_across_words: bool = False,
    piece_end: str | None = None,
    name: str | None = None,
):
    """A byte-level BPE tokenizer trained on ``texts`` in memory (no download), wrapped as a
    ``PreTrainedTokenizerFast``. Every token of ``special_tokens`` is special; those that are not the BOS, EOS or PAD
    token are added as extra special tokens.

    ``split_digits``: digits are always one token each. ``merge_across_words``: merges may span spaces, punctuation
    and newlines (no regex pre-split), so text repeated in every conversation becomes one token per stretch between
    special tokens. ``piece_end`` (a regex) ends a piece after each of its matches (a generation prompt's end, so
    training conversations and rollouts tokenize the reply alike)."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(special_tokens)
    corpus = list(texts)
    backend = Tokenizer(models.BPE())
    split = [pre_tokenizers.Digits(individual_digits=True)] if split_digits else []
    if piece_end:
        split.append(pre_tokenizers.Split(Regex(piece_end), behavior="merged_with_previous"))
    if merge_across_words:
        # The trainer sees special tokens as plain text; encoding splits them out first. Train on the stretches
        # between them, or the merges would be spent on pieces like "<|im_start|>sy" that never occur.
        special = re.compile("|".join(re.escape(token) for token in specials))
        corpus = [piece for text in corpus for piece in special.split(text) if piece]
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not merge_across_words)
    backend.pre_tokenizer = pre_tokenizers.Sequence([*split, byte_level]) if split else byte_level
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(corpus, trainer=trainer)
    named = {"bos_token": bos_token, "eos_token": eos_token, "pad_token": pad_token}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        **{key: value for key, value in named.items() if value is not None},
        additional_special_tokens=[token for token in specials if token not in named.values()],
    )
    tokenizer.chat_template = chat_template
    if name:
        tokenizer.name_or_path = name
    return tokenizer


def tiny_causal_lm(
    tokenizer,
    *,
    hidden_size: int = 32,
    layers: int = 1,
    heads: int = 4,
    mlp_ratio: int = 2,
    max_positions: int = 4096,
    seed: int = 0,
):
    """A tiny randomly initialised Qwen2 causal LM sized to ``tokenizer`` (weights drawn after
    ``torch.manual_seed(seed)``; tied embeddings; generation stops at the tokenizer's EOS and pads with its PAD)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * mlp_ratio,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


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


def load_causal_lm(path: str, *, dtype: str | None = None, device: str | None = None, train: bool = False):
    """``(model, tokenizer)`` from a local model folder (``--harness-model``); never downloads. In eval mode unless
    ``train`` (a model about to be trained keeps ``from_pretrained``'s mode)."""
    _offline()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = getattr(torch, dtype) if dtype else "auto"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, local_files_only=True)
    if device:
        model = model.to(device)
    if not train:
        model.eval()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return model, tokenizer


def embedding_rows(model) -> dict[str, int]:
    """Rows of the model's input embedding and, where it has one, its output (LM head) matrix."""
    rows = {"input embedding": int(model.get_input_embeddings().weight.shape[0])}
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if output is not None and getattr(output, "weight", None) is not None:
        rows["output embedding (LM head)"] = int(output.weight.shape[0])
    return rows


def json_schema(function) -> dict:
    """The JSON schema transformers derives from a Python function's signature and docstring (a tool definition)."""
    from transformers.utils import get_json_schema

    return get_json_schema(function)
