"""The corpus of real chat templates shipped with the package (``harness/assets/templates``).

Each template is a ``.jinja`` file copied from a public source, listed in ``MANIFEST.json`` with its provenance
(``repo@commit:path``), the model it comes from, the shared base vocabulary it is paired with (the model's own family
where one is shared, else the closest: the manifest says which), the BOS/EOS strings the real model uses, the control
strings the real model's vocabulary holds as single added tokens with each one's ``special`` flag (``added_tokens``),
where those were read (``tokens_source``: a package and file with its sha256, or unverified with the reason), and the
strings that end a generated assistant turn (``stops``). ``harness.load_tokenizer(NAME)`` loads such a NAME like a
tokenizer folder: the base vocabulary found through the usual settings, with the template and tokens from here
(``harness.adapters.transformers``).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

_PACKAGE = "harness.assets"
_FOLDER = "templates"


class CorpusManifestError(ValueError):
    """MANIFEST.json names a field wrongly or misses one (says which template and field)."""


@dataclass(frozen=True)
class CorpusToken:
    """A control string the real model's tokenizer holds as one added token, and whether it is flagged special."""

    content: str
    special: bool


@dataclass(frozen=True)
class CorpusTemplate:
    """One corpus template and how it is loaded (see the module docstring)."""

    name: str
    family: str
    represents: str
    source: dict[str, str]
    sha256: str
    vocabulary: str
    vocabulary_match: str  # "same family" or "closest"
    added_tokens: tuple[CorpusToken, ...]
    tokens_source: dict[str, Any]
    stops: tuple[str, ...]
    dated: bool
    notes: str
    bos_token: str | None = None
    eos_token: str | None = None

    @property
    def provenance(self) -> str:
        """``repo@commit:path`` of the file this template was copied from."""
        return f"{self.source['repo']}@{self.source['commit']}:{self.source['path']}"

    @property
    def control_tokens(self) -> tuple[str, ...]:
        """The strings of ``added_tokens`` (each one token in the loaded tokenizer)."""
        return tuple(token.content for token in self.added_tokens)

    @property
    def verified(self) -> bool:
        """Whether ``added_tokens``, bos and eos were read from a real tokenizer config (``tokens_source``)."""
        return bool(self.tokens_source["verified"])

    @property
    def stop(self) -> str:
        """The first stop string: the end-of-turn string of an answer."""
        return self.stops[0]

    def text(self) -> str:
        """The template's Jinja source."""
        return (resources.files(_PACKAGE) / _FOLDER / f"{self.name}.jinja").read_text(encoding="utf-8")


_REQUIRED = ("family", "represents", "source", "sha256", "vocabulary", "vocabulary_match", "added_tokens",
             "tokens_source", "stops", "dated", "notes")
_SOURCE_FIELDS = ("repo", "commit", "path")
_VERIFIED_FIELDS = ("match", "config_of", "package", "files")
_MATCHES = ("own model", "same family", "control tokens by name")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _tokens(name: str, raw: list[Any]) -> tuple[CorpusToken, ...]:
    tokens = []
    for index, item in enumerate(raw):
        if not (isinstance(item, dict) and set(item) == {"content", "special"} and isinstance(item["content"], str)
                and item["content"] and isinstance(item["special"], bool)):
            raise CorpusManifestError(f"MANIFEST.json: template {name!r}: added_tokens[{index}] must be "
                                      f"{{\"content\": <non-empty string>, \"special\": <true|false>}}, not {item!r}")
        tokens.append(CorpusToken(item["content"], item["special"]))
    contents = [token.content for token in tokens]
    if len(set(contents)) != len(contents):
        raise CorpusManifestError(f"MANIFEST.json: template {name!r}: added_tokens lists a string twice")
    return tuple(tokens)


def _tokens_source(name: str, raw: Any) -> dict[str, Any]:
    where = f"MANIFEST.json: template {name!r}: tokens_source"
    if not isinstance(raw, dict) or not isinstance(raw.get("verified"), bool):
        raise CorpusManifestError(f"{where} must be an object with verified: true or false")
    if not raw["verified"]:
        if not (isinstance(raw.get("reason"), str) and raw["reason"].strip()):
            raise CorpusManifestError(f"{where}: verified false needs the reason no real config was read")
        return dict(raw)
    missing = [field for field in _VERIFIED_FIELDS if not raw.get(field)]
    if missing:
        raise CorpusManifestError(f"{where}: verified true lacks {', '.join(missing)}")
    if raw["match"] not in _MATCHES:
        raise CorpusManifestError(f"{where}: match must be one of {_MATCHES}, not {raw['match']!r}")
    if not re.fullmatch(r"(npm|pypi):\S+@\S+|shared:[\w.-]+", raw["package"]):
        raise CorpusManifestError(f"{where}: package must be npm:NAME@VERSION, pypi:NAME@VERSION or shared:FOLDER, "
                                  f"not {raw['package']!r}")
    for file in raw["files"]:
        if not (isinstance(file, dict) and file.get("path") and _SHA256.fullmatch(str(file.get("sha256", "")))):
            raise CorpusManifestError(f"{where}: each file needs a path and its sha256 (64 hex digits), not {file!r}")
    return dict(raw)


def _entry(name: str, raw: dict[str, Any]) -> CorpusTemplate:
    missing = [field for field in _REQUIRED if field not in raw]
    missing += [f"source.{field}" for field in _SOURCE_FIELDS if field not in raw.get("source", {})]
    if missing:
        raise CorpusManifestError(f"MANIFEST.json: template {name!r} lacks {', '.join(missing)}")
    if raw["vocabulary_match"] not in ("same family", "closest"):
        raise CorpusManifestError(f"MANIFEST.json: template {name!r}: vocabulary_match must be 'same family' or "
                                  f"'closest', not {raw['vocabulary_match']!r}")
    if not raw["stops"]:
        raise CorpusManifestError(f"MANIFEST.json: template {name!r} names no stop string")
    return CorpusTemplate(
        name=name, family=raw["family"], represents=raw["represents"], source=dict(raw["source"]),
        sha256=raw["sha256"], vocabulary=raw["vocabulary"], vocabulary_match=raw["vocabulary_match"],
        added_tokens=_tokens(name, raw["added_tokens"]), tokens_source=_tokens_source(name, raw["tokens_source"]),
        stops=tuple(raw["stops"]), dated=bool(raw["dated"]),
        notes=raw["notes"], bos_token=raw.get("bos_token"), eos_token=raw.get("eos_token"),
    )


@functools.lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    """MANIFEST.json as stored (templates, excluded ones with their reason, duplicates of shared templates)."""
    return json.loads((resources.files(_PACKAGE) / _FOLDER / "MANIFEST.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def corpus_templates() -> dict[str, CorpusTemplate]:
    """Every corpus template by name."""
    return {name: _entry(name, raw) for name, raw in manifest()["templates"].items()}


def corpus_template(name: str) -> CorpusTemplate | None:
    """The corpus template called ``name``, or None (a tokenizer folder name, a path ...)."""
    return corpus_templates().get(name)


def corpus_names() -> list[str]:
    """Names of the corpus templates, sorted."""
    return sorted(corpus_templates())
