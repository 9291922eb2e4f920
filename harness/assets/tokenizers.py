"""Where the test tokenizers live, and how a name becomes a loaded tokenizer.

Search order for a tokenizer NAME (a folder name such as ``qwen3``):

1. ``$HARNESS_TOKENIZERS_DIR/NAME`` — the setting; a folder of tokenizer folders.
2. ``../shared/tokenizers/NAME`` — relative to the current directory, then to the
   repository that holds this package (the layout of this project's CI).
3. The Hugging Face cache, for users with network access who downloaded the model
   once: ``NAME`` is mapped to its Hub id (``KNOWN_HUB_IDS``) and loaded with
   ``local_files_only=True`` — the harness never downloads at run time.

A NAME of the template corpus (``harness/assets/templates``, see ``template_corpus``)
is found as its base vocabulary is (the steps above); the template and its tokens come
from the corpus.

A missing tokenizer is not an error by itself: tests skip, naming the tokenizer
and the setting to change (see ``missing_reason``). CI turns "no tokenizer at
all" into a failure (``HARNESS_REQUIRE_TOKENIZERS=1``, see the pytest plugin).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.assets import roots as asset_roots

ENV_VAR = "HARNESS_TOKENIZERS_DIR"

# The tokenizers this project tests against, by folder name, with the Hub model each represents.
KNOWN_HUB_IDS: dict[str, str] = {
    "aya-expanse": "CohereLabs/aya-expanse-8b",
    "deepseek-r1-distill-qwen-1.5b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
    "gemma-2-it": "google/gemma-2-2b-it",
    "gemma-3-it": "google/gemma-3-1b-it",
    "gpt-oss-20b": "openai/gpt-oss-20b",
    "llama-3.1-instruct": "meta-llama/Llama-3.1-8B-Instruct",
    "llama-3.2-instruct": "meta-llama/Llama-3.2-1B-Instruct",
    "phi-3.5-mini-instruct": "microsoft/Phi-3.5-mini-instruct",
    "qwen2.5-instruct": "Qwen/Qwen2.5-0.5B-Instruct",
    "qwen3": "Qwen/Qwen3-0.6B",
    "smollm3-3b": "HuggingFaceTB/SmolLM3-3B",
}


@dataclass(frozen=True)
class TokenizerSource:
    """Where a named tokenizer was found: a local folder, or a Hub id in the local cache."""

    name: str
    path: str
    from_hf_cache: bool = False
    corpus_template: str | None = None  # the corpus template loaded over this base vocabulary


def search_roots() -> list[Path]:
    """Folders searched for tokenizer folders, in order (the setting first)."""
    return asset_roots.search_roots(ENV_VAR, "tokenizers")


def _is_tokenizer_folder(path: Path) -> bool:
    return path.is_dir() and (path / "tokenizer_config.json").is_file()


def _in_hf_cache(hub_id: str) -> str | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - transformers depends on it
        return None
    try:
        return snapshot_download(hub_id, local_files_only=True, allow_patterns=["*.json", "*.jinja", "*.model", "*.txt"])
    except Exception:
        return None


def find_tokenizer(name: str) -> TokenizerSource | None:
    """Locate tokenizer ``name`` without loading it; ``None`` when it is nowhere."""
    from harness.assets.template_corpus import corpus_template

    template = corpus_template(name)
    if template is not None:
        base = find_tokenizer(template.vocabulary)
        return None if base is None else TokenizerSource(name, base.path, base.from_hf_cache, corpus_template=name)
    for root in search_roots():
        candidate = root / name
        if _is_tokenizer_folder(candidate):
            return TokenizerSource(name, str(candidate))
    if name in KNOWN_HUB_IDS:
        cached = _in_hf_cache(KNOWN_HUB_IDS[name])
        if cached:
            return TokenizerSource(name, cached, from_hf_cache=True)
    return None


def available_tokenizers() -> list[str]:
    """Names of every tokenizer found: each folder in the search roots, plus cached known ones."""
    names: set[str] = set()
    for root in search_roots():
        if root.is_dir():
            names.update(p.name for p in root.iterdir() if _is_tokenizer_folder(p))
    for name in KNOWN_HUB_IDS:
        if name not in names and find_tokenizer(name) is not None:
            names.add(name)
    return sorted(names)


def missing_reason(name: str) -> str:
    """The skip reason for a tokenizer that was not found: what is missing and which setting to change."""
    from harness.assets.template_corpus import corpus_template

    template = corpus_template(name)
    if template is not None:
        return f"corpus template {name!r} needs its base vocabulary: {missing_reason(template.vocabulary)}"
    looked = ", ".join(str(r) for r in search_roots())
    hub = KNOWN_HUB_IDS.get(name)
    cache = f", nor {hub} in the Hugging Face cache" if hub else ""
    return f"tokenizer {name!r} not found in {looked}{cache}; set {ENV_VAR} to a folder that holds {name}/"
