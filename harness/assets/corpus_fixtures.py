"""Checking a corpus template's token fixture against the real tokenizer config it cites.

A corpus entry (``harness.assets.template_corpus``) with ``tokens_source.verified`` names the package and files its
``added_tokens``, ``bos_token`` and ``eos_token`` were read from. Where that package is a folder of
``../shared/tokenizers`` (``shared:FOLDER``), the files are here and the fixture can be re-read: ``discrepancies``
says, in words, every way the manifest differs from them. Plain JSON reading: no tokenizer library is loaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from harness.assets.template_corpus import CorpusTemplate

SHARED_PREFIX = "shared:"


def shared_folder(template: CorpusTemplate) -> str | None:
    """The ``../shared/tokenizers`` folder name the fixture was read from, or None (another package, or unverified)."""
    package = template.tokens_source.get("package", "") if template.verified else ""
    return package[len(SHARED_PREFIX):] if package.startswith(SHARED_PREFIX) else None


def _content(value: Any) -> str | None:
    return value.get("content") if isinstance(value, dict) else value


def config_added_tokens(folder: Path) -> dict[str, bool]:
    """``{text: special}`` of a tokenizer folder's added tokens: ``tokenizer.json``'s ``added_tokens`` where the folder
    has one, else ``tokenizer_config.json``'s ``added_tokens_decoder``."""
    tokenizer_json = folder / "tokenizer.json"
    if tokenizer_json.is_file():
        entries = json.loads(tokenizer_json.read_text(encoding="utf-8"))["added_tokens"]
    else:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        entries = list(config.get("added_tokens_decoder", {}).values())
    return {entry["content"]: bool(entry["special"]) for entry in entries}


def config_bos_eos(folder: Path) -> tuple[str | None, str | None]:
    """(bos_token, eos_token) named by a tokenizer folder's ``tokenizer_config.json``."""
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    return _content(config.get("bos_token")), _content(config.get("eos_token"))


def _control_like(text: str) -> bool:
    # Whitespace runs and single characters are vocabulary (Gemma's "\n\n", "▁▁"), not control strings.
    return len(text) > 1 and bool(text.strip()) and "▁▁" not in text


def discrepancies(template: CorpusTemplate, folder: Path) -> list[str]:
    """Every way ``template``'s fixture differs from the real config files in ``folder`` (empty: it matches).

    Checked: each cited file's sha256; each listed token is an added token there with the same ``special`` flag;
    every added token there that the template's text contains is listed; each stop is an added token there; bos and
    eos are the ones named there.
    """
    problems: list[str] = []
    for file in template.tokens_source["files"]:
        path = folder / file["path"]
        if not path.is_file():
            problems.append(f"{template.name}: cited file {file['path']} is not in {folder}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != file["sha256"]:
            problems.append(f"{template.name}: {file['path']} in {folder} is not the cited one (sha256 differs)")
    if problems:
        return problems
    real = config_added_tokens(folder)
    listed = {token.content: token.special for token in template.added_tokens}
    for text, special in listed.items():
        if text not in real:
            problems.append(f"{template.name}: {text!r} is listed but is no added token of the real config")
        elif real[text] != special:
            problems.append(f"{template.name}: {text!r} is listed special={special}, the real config has "
                            f"special={real[text]}")
    source = template.text()
    for text in sorted(t for t in real if _control_like(t) and t in source and t not in listed):
        problems.append(f"{template.name}: the template writes {text!r}, an added token of the real config "
                        f"(special={real[text]}), which is not listed")
    for stop in template.stops:
        if stop not in real:
            problems.append(f"{template.name}: stop {stop!r} is no added token of the real config")
    bos, eos = config_bos_eos(folder)
    if (template.bos_token, template.eos_token) != (bos, eos):
        problems.append(f"{template.name}: bos/eos are {template.bos_token!r}/{template.eos_token!r}, the real config "
                        f"names {bos!r}/{eos!r}")
    return problems
