"""The corpus's token fixtures (harness/assets/templates/MANIFEST.json: added_tokens, bos/eos) come from real tokenizer
configs: every entry cites the package and files it was read from with their sha256, or says why none was reachable;
where the cited files are a ../shared/tokenizers folder, the fixture is re-read from them and must match."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from harness.assets.corpus_fixtures import discrepancies, shared_folder
from harness.assets.template_corpus import CorpusManifestError, _entry, corpus_names, corpus_templates, manifest
from harness.assets.tokenizers import find_tokenizer

NAMES = corpus_names()
SHARED_SOURCED = [name for name in NAMES if shared_folder(corpus_templates()[name])]


@pytest.mark.parametrize("name", NAMES)
def test_entry_cites_a_real_config_or_says_why_not(name):
    template = corpus_templates()[name]
    source = template.tokens_source
    if template.verified:
        assert source["match"] and source["config_of"] and source["package"] and source["files"], source
        assert all(len(file["sha256"]) == 64 and file["path"] for file in source["files"]), source
    else:
        assert len(source["reason"]) > 40, f"{name}: an unverified fixture needs its reason: {source}"
    assert template.stops and all(isinstance(s, str) and s for s in template.stops)


def test_most_templates_with_a_reachable_config_are_verified():
    # The ones whose real config (or a family sibling's) is in npm/PyPI packages or ../shared/tokenizers (issue 23).
    verified = {name for name in NAMES if corpus_templates()[name].verified}
    assert {"deepseek-v3.1", "deepseek-v3.2", "deepseek-r1-distill-qwen-32b", "command-r-plus-tool-use",
            "mistral-nemo-instruct-2407"} <= verified
    assert len(SHARED_SOURCED) >= 5, SHARED_SOURCED


@pytest.mark.parametrize("field, value, message", [
    ("tokens_source", {"verified": False}, "needs the reason"),
    ("tokens_source", {"verified": True, "match": "same family", "config_of": "x", "package": "npm:a@1",
                       "files": [{"path": "t.json", "sha256": "abc"}]}, "sha256"),
    ("tokens_source", {"verified": True, "match": "same family", "config_of": "x", "files": [{}]}, "lacks package"),
    ("added_tokens", [{"content": "<x>"}], r"added_tokens\[0\]"),
    ("added_tokens", [{"content": "<x>", "special": "yes"}], r"added_tokens\[0\]"),
])
def test_a_malformed_fixture_is_named(field, value, message):
    raw = copy.deepcopy(manifest()["templates"][NAMES[0]])
    raw[field] = value
    with pytest.raises(CorpusManifestError, match=rf"{NAMES[0]}.*{message}"):
        _entry(NAMES[0], raw)


def _shared_path(folder: str) -> Path:
    source = find_tokenizer(folder)
    if source is None or source.from_hf_cache:
        pytest.skip(f"shared tokenizer folder {folder!r} is not here (the cited files are those of the folder)")
    return Path(source.path)


@pytest.mark.parametrize("name", SHARED_SOURCED)
def test_fixture_matches_the_shared_config_it_cites(name):
    template = corpus_templates()[name]
    assert discrepancies(template, _shared_path(shared_folder(template))) == []


def test_the_check_finds_a_wrong_flag_a_missing_token_a_wrong_eos_and_stop(tmp_path):
    name = "deepseek-r1-distill-qwen-32b"
    template = corpus_templates()[name]
    folder = _shared_path(shared_folder(template))
    raw = copy.deepcopy(manifest()["templates"][name])
    raw["added_tokens"] = [dict(t, special=True) if t["content"] == "<｜User｜>" else t for t in raw["added_tokens"]
                           if t["content"] != "<think>"] + [{"content": "<｜tool▁sep｜>", "special": False}]
    raw["eos_token"] = raw["stops"][0] = "<|im_end|>"
    found = "\n".join(discrepancies(_entry(name, raw), folder))
    assert "'<｜User｜>' is listed special=True, the real config has special=False" in found
    assert "writes '<think>'" in found and "'<｜tool▁sep｜>' is listed but is no added token" in found
    assert "bos/eos" in found and "stop '<|im_end|>' is no added token" in found
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(dict(config, eos_token="<x>")), encoding="utf-8")
    assert "not the cited one" in "\n".join(discrepancies(template, tmp_path))


def test_loaded_tokenizer_honours_the_special_flags(load_tokenizer_or_skip):
    """Non-special added tokens stay non-special (one token, kept by skip_special_tokens); strings the real
    vocabulary lacks stay text (R1-Distill-Qwen has no <｜tool▁…｜> tokens)."""
    tokenizer = load_tokenizer_or_skip("deepseek-r1-distill-qwen-32b")
    flags = {str(t): t.special for t in tokenizer.backend_tokenizer.get_added_tokens_decoder().values()}
    text = "<｜User｜>hi<｜Assistant｜><think>x</think>ok<｜end▁of▁sentence｜>"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == "<｜User｜>hi<｜Assistant｜><think>x</think>ok"
    assert [flags[t] for t in ("<｜User｜>", "<｜Assistant｜>", "<think>", "<｜end▁of▁sentence｜>")] == [
        False, False, False, True]
    assert "<｜tool▁sep｜>" not in flags and len(tokenizer.tokenize("<｜tool▁sep｜>")) > 1
    qwq = load_tokenizer_or_skip("qwq-32b")  # the base holds <tool_call> non-special: the corpus keeps it so
    assert "<tool_call>" not in qwq.all_special_tokens and len(qwq.tokenize("<tool_call>")) == 1
