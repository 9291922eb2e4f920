"""The template corpus (harness/assets/templates): every entry has its provenance and the file it records; loading
one leaves its base vocabulary alone. Each template's loading and judging: test_template_corpus_masking.py."""

from __future__ import annotations

import hashlib
import re

import pytest

from harness.assets.template_corpus import CorpusManifestError, _entry, corpus_names, corpus_templates, manifest
from harness.assets.tokenizers import KNOWN_HUB_IDS, missing_reason

NAMES = corpus_names()

# The families the corpus must cover (issue 16): a word of each family's name in the manifest.
FAMILIES = ["DeepSeek V3", "Kimi K2", "GLM-4", "MiniMax", "Mistral Small", "Command R7B", "Nemotron", "Gemma 4",
            "Phi-4", "Granite", "Hermes", "Llama 4", "Qwen3-Coder", "Qwen3.5", "Apertus", "LFM2", "Seed-OSS"]


def test_corpus_holds_at_least_40_distinct_templates_beyond_the_shared_ones():
    assert len(NAMES) >= 40, NAMES
    digests = [t.sha256 for t in corpus_templates().values()]
    assert len(set(digests)) == len(digests), "two corpus entries hold the same template"
    assert not set(NAMES) & set(KNOWN_HUB_IDS), "a corpus name shadows a shared tokenizer folder"
    families = " | ".join(t.family for t in corpus_templates().values())
    assert [f for f in FAMILIES if f not in families] == []


@pytest.mark.parametrize("name", NAMES)
def test_entry_has_provenance_and_its_file_is_the_recorded_one(name):
    template = corpus_templates()[name]
    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S+\.jinja", template.provenance), template.provenance
    assert hashlib.sha256(template.text().encode("utf-8")).hexdigest() == template.sha256
    assert template.vocabulary in KNOWN_HUB_IDS, f"{name}: base vocabulary {template.vocabulary!r} is not a shared one"
    assert template.represents and template.family and template.notes
    assert all(isinstance(s, str) and s for s in template.control_tokens + template.stops)


def test_excluded_templates_say_why():
    for name, entry in manifest()["excluded"].items():
        assert entry["reason"] and entry["source"]["commit"], name


def test_a_manifest_entry_without_provenance_is_named():
    raw = dict(manifest()["templates"][NAMES[0]])
    raw["source"] = {"repo": "x/y", "path": "t.jinja"}
    with pytest.raises(CorpusManifestError, match=rf"{NAMES[0]}.*source\.commit"):
        _entry(NAMES[0], raw)


def test_a_missing_base_vocabulary_names_it_and_the_setting(tmp_path, monkeypatch):
    from harness.adapters.transformers import load_tokenizer
    from harness.assets import tokenizers

    monkeypatch.setattr(tokenizers, "search_roots", lambda: [tmp_path])
    monkeypatch.setattr(tokenizers, "_in_hf_cache", lambda hub_id: None)
    assert tokenizers.find_tokenizer("glm-4.6") is None
    with pytest.raises(LookupError) as raised:
        load_tokenizer("glm-4.6")
    assert str(raised.value) == missing_reason("glm-4.6")
    assert "qwen2.5-instruct" in str(raised.value) and "HARNESS_TOKENIZERS_DIR" in str(raised.value)


def test_loading_a_corpus_template_leaves_its_base_vocabulary_alone(load_tokenizer_or_skip):
    corpus = load_tokenizer_or_skip("glm-4.6")
    base = load_tokenizer_or_skip("qwen2.5-instruct")
    assert len(corpus.tokenize("<|observation|>")) == 1
    assert len(base.tokenize("<|observation|>")) > 1
    assert base.chat_template != corpus.chat_template and base.eos_token == "<|im_end|>"
