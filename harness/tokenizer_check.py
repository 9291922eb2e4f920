"""``verify_tokenizer``: is this tokenizer consistent with its model, its template and the training data?

Each check yields named findings (``error``: training or generation goes wrong; ``warning``: worth a look):

- ``vocab_size_config`` / ``vocab_size_model``: every token id has a row in the embedding (``config.json``'s
  ``vocab_size``; the model's input and output embedding matrices);
- ``special_token_single`` / ``special_token_roundtrip`` / ``special_token_in_text``: every special and added
  token encodes as exactly its one id, decodes back to its text, alone and inside running text;
- ``template_control_tokens``: the control tokens the chat template writes (``<|im_end|>``, ``<start_of_turn>``,
  ``<｜Assistant｜>`` ...) exist in the vocabulary as single tokens;
- ``special_ids_agree``: eos, pad and bos agree across the tokenizer, the generation config (and the model's
  config), and the template: the token that ends an assistant turn stops generation; no double BOS;
- ``added_tokens_in_training_data``: tokens the user added occur in the training file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.adapters import transformers as hf

ERROR, WARNING = "error", "warning"
CHECKS = (
    "vocab_size_config", "vocab_size_model", "special_token_single", "special_token_roundtrip",
    "special_token_in_text", "template_control_tokens", "special_ids_agree", "added_tokens_in_training_data",
)
# Strings shaped like control tokens in a template or its rendering.
CONTROL_SHAPES = re.compile(r"<\|[^<>|\s]{1,40}\|>|<｜[^<>\s]{1,40}｜>|<(?:start|end)_of_[a-z_]{1,20}>")
_PROBE = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}, {"role": "assistant", "content": "Ans"}]


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # error | warning
    message: str
    tokens: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.check}] {self.severity}: {self.message}"


@dataclass
class TokenizerReport:
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # check -> why it did not run

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def passed(self) -> bool:
        return not self.errors

    def of(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]

    def __str__(self) -> str:
        lines = [str(f) for f in self.findings] or ["no findings"]
        lines += [f"[{check}] skipped: {why}" for check, why in self.skipped.items()]
        return "\n".join(lines)


def _id_ranges(ids: Iterable[int]) -> str:
    ids = sorted(set(ids))
    parts, start = [], None
    for i, value in enumerate(ids):
        if start is None:
            start = value
        if i + 1 == len(ids) or ids[i + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}–{value}")
            start = None
    return ", ".join(parts)


def _shorten(tokens: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(tokens[:limit])
    return shown + (f", … ({len(tokens)} in all)" if len(tokens) > limit else "")


def _load_json_source(source: Any, file_name: str) -> Mapping[str, Any] | None:
    """A config given as a dict, an object with attributes, a JSON file, or a folder holding ``file_name``."""
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        path = path / file_name if path.is_dir() else path
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    if hasattr(source, "to_dict"):
        return source.to_dict()
    return vars(source)


def _as_ids(value: Any) -> set[int]:
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set)):
        return {int(v) for v in value}
    return {int(value)}


def _special_strings(tokenizer) -> dict[str, int]:
    """Every special or added token with its id (whitespace-only and one-character tokens left out)."""
    strings = {}
    for text in hf.special_token_strings(tokenizer):
        token_id = hf.encode(tokenizer, text)
        by_vocab = tokenizer.convert_tokens_to_ids(text)
        if by_vocab is not None:
            strings[text] = int(by_vocab)
        elif len(token_id) == 1:
            strings[text] = token_id[0]
    return strings


def _check_vocab(report, tokenizer, config, model) -> None:
    count, largest = hf.token_id_span(tokenizer)
    beyond = lambda rows: sorted(  # noqa: E731
        (i, t) for t, i in tokenizer.get_vocab().items() if i >= rows)
    if config is None or config.get("vocab_size") is None:
        report.skipped["vocab_size_config"] = "no config.json given (config=...)"
    else:
        rows = int(config["vocab_size"])
        if largest >= rows:
            outside = beyond(rows)
            report.findings.append(Finding(
                "vocab_size_config", ERROR,
                f"{len(outside)} token id(s) ({_id_ranges(i for i, _ in outside)}) are >= config vocab_size {rows}: "
                f"the embedding has no row for them ({_shorten([t for _, t in outside])})",
                tuple(t for _, t in outside)))
    if model is None:
        report.skipped["vocab_size_model"] = "no model given (model=...)"
        return
    for matrix, rows in hf.embedding_rows(model).items():
        if largest >= rows:
            outside = beyond(rows)
            report.findings.append(Finding(
                "vocab_size_model", ERROR,
                f"the model's {matrix} has {rows} rows but token ids go up to {largest} "
                f"({len(outside)} token(s) without a row: {_id_ranges(i for i, _ in outside)})",
                tuple(t for _, t in outside)))
        if config is not None and config.get("vocab_size") is not None and rows != int(config["vocab_size"]):
            report.findings.append(Finding(
                "vocab_size_model", WARNING, f"the model's {matrix} has {rows} rows, config.json says {config['vocab_size']}"))


def _check_special_tokens(report, tokenizer) -> None:
    single, roundtrip, in_text = [], [], []
    for text, token_id in sorted(_special_strings(tokenizer).items(), key=lambda kv: kv[1]):
        if not text.strip("\u2581"):
            continue  # SentencePiece whitespace runs ('▁▁'): vocabulary, decoded as spaces by design
        alone = hf.encode(tokenizer, text)
        if alone != [token_id]:
            single.append(f"{text!r} (id {token_id}) encodes as {alone}")
        if hf.decode(tokenizer, [token_id]) != text:
            roundtrip.append(f"{text!r} (id {token_id}) decodes as {hf.decode(tokenizer, [token_id])!r}")
        running = f"x1{text}y2"
        ids = hf.encode(tokenizer, running)
        if ids.count(token_id) != 1:
            in_text.append(f"{text!r} (id {token_id}) inside {running!r} encodes as {ids}")
        elif text not in hf.decode(tokenizer, ids):
            in_text.append(f"{text!r} (id {token_id}) inside {running!r} decodes as {hf.decode(tokenizer, ids)!r}")
    for check, problems, what in (
        ("special_token_single", single, "do not encode as exactly their one id"),
        ("special_token_roundtrip", roundtrip, "do not decode back to their text"),
        ("special_token_in_text", in_text, "are not one token inside running text"),
    ):
        if problems:
            report.findings.append(Finding(check, ERROR, f"{len(problems)} special/added token(s) {what}: "
                                           + "; ".join(problems[:6]), tuple(problems)))


def _template_text(tokenizer) -> str:
    """The chat template (all named variants), Jinja comments removed (they may mention tokens in prose)."""
    template = tokenizer.chat_template
    if isinstance(template, dict):
        template = "\n".join(str(v) for v in template.values())
    return re.sub(r"\{#.*?#\}", "", template or "", flags=re.S)


def _control_strings(tokenizer, rendered: str) -> set[str]:
    return set(CONTROL_SHAPES.findall(_template_text(tokenizer))) | set(CONTROL_SHAPES.findall(rendered))


def _render_probe(tokenizer) -> str:
    for messages in (_PROBE, _PROBE[1:]):
        try:
            return hf.render(tokenizer, messages)
        except Exception:  # noqa: BLE001 - a template that refuses a system message gets the shorter probe
            continue
    return ""


def _check_template_tokens(report, tokenizer, rendered: str) -> None:
    if not _template_text(tokenizer):
        report.skipped["template_control_tokens"] = "the tokenizer has no chat template"
        return
    vocab = tokenizer.get_vocab()
    missing = sorted(s for s in _control_strings(tokenizer, rendered) if s not in vocab or hf.encode(tokenizer, s) != [vocab[s]])
    if missing:
        pieces = {s: len(hf.encode(tokenizer, s)) for s in missing}
        report.findings.append(Finding(
            "template_control_tokens", ERROR,
            f"the chat template writes {len(missing)} control token(s) the vocabulary lacks, so they are split into "
            f"ordinary text pieces: " + ", ".join(f"{s} ({n} pieces)" for s, n in pieces.items()),
            tuple(missing)))


def _turn_end_token(tokenizer, rendered: str) -> tuple[str, int] | None:
    """The first special/added token the template writes after the assistant's text (what ends the turn)."""
    at = rendered.rfind("Ans")
    if at < 0:
        return None
    specials = _special_strings(tokenizer)
    tail = rendered[at + 3:]
    found = [(tail.find(s), s) for s in specials if tail.find(s) >= 0]
    if not found:
        return None
    position, text = min(found, key=lambda p: (p[0], -len(p[1])))
    return text, specials[text]


def _check_ids(report, tokenizer, rendered: str, generation: Mapping | None, model_config: Mapping | None) -> None:
    findings = []
    eos, pad, bos = tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.bos_token_id
    sources = [("generation config", generation), ("model config", model_config)]
    stop_ids = _as_ids(eos)
    for label, source in sources:
        if not source:
            continue
        their_eos = _as_ids(source.get("eos_token_id"))
        if their_eos and eos is not None and eos not in their_eos:
            findings.append((ERROR, f"tokenizer eos {tokenizer.eos_token!r} (id {eos}) is not among the {label}'s "
                                    f"eos_token_id {sorted(their_eos)}"))
        if label == "generation config" and their_eos:
            stop_ids = their_eos
        for name, ours in (("pad_token_id", pad), ("bos_token_id", bos)):
            theirs = source.get(name)
            if theirs is not None and ours is not None and int(theirs) != int(ours):
                findings.append((WARNING, f"tokenizer {name} {ours} differs from the {label}'s {theirs}"))
    end = _turn_end_token(tokenizer, rendered) if rendered else None
    if end is not None and end[1] not in stop_ids:
        if generation:
            findings.append((ERROR, f"the template ends an assistant turn with {end[0]!r} (id {end[1]}), which is "
                                    f"not among the generation config's eos ids {sorted(stop_ids)}: generation "
                                    "would not stop there"))
        else:
            findings.append((WARNING, f"the template ends an assistant turn with {end[0]!r} (id {end[1]}), not the "
                                      f"tokenizer's eos (id {eos}); no generation config given to show that "
                                      "generation stops there (generation_config=...)"))
    if pad is None:
        findings.append((WARNING, "the tokenizer has no pad token (batched training sets one, often eos)"))
    elif eos is not None and pad == eos:
        findings.append((WARNING, f"pad is eos (id {eos}): a collator that masks padding by id also masks every "
                                  "trained end-of-sequence token"))
    if rendered and bos is not None and tokenizer.bos_token and rendered.startswith(tokenizer.bos_token):
        ids = hf.encode(tokenizer, rendered, add_special_tokens=True)
        if ids[:2] == [bos, bos]:
            findings.append((WARNING, f"the template writes BOS {tokenizer.bos_token!r} and the tokenizer adds "
                                      "another when the rendered text is encoded with add_special_tokens=True (the "
                                      "default of tokenizer(text)): two BOS tokens; encode it with "
                                      "add_special_tokens=False"))
    report.findings += [Finding("special_ids_agree", severity, message) for severity, message in findings]


def _training_text(path: Path) -> str:
    """The file's text, plus (for JSON / JSON Lines) every string value decoded, so escapes do not hide tokens."""
    raw = path.read_text(encoding="utf-8")
    strings: list[str] = []

    def walk(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if path.suffix in (".jsonl", ".json"):
        chunks = raw.splitlines() if path.suffix == ".jsonl" else [raw]
        for chunk in chunks:
            try:
                walk(json.loads(chunk))
            except json.JSONDecodeError:
                continue
    return raw + "\n" + "\n".join(strings)


def _user_added_tokens(tokenizer) -> list[str]:
    """Default for ``added_tokens``: added tokens that are not special and that the chat template does not write."""
    template = _template_text(tokenizer)
    return [text for _, (text, special) in sorted(hf.added_tokens(tokenizer).items())
            if not special and text.strip() and text not in template]


def _check_training_file(report, tokenizer, training_file, tokens: Sequence[str] | None) -> None:
    if training_file is None:
        report.skipped["added_tokens_in_training_data"] = "no training file given (training_file=...)"
        return
    tokens = list(tokens) if tokens is not None else _user_added_tokens(tokenizer)
    if not tokens:
        report.skipped["added_tokens_in_training_data"] = "no user-added tokens (pass added_tokens=[...])"
        return
    text = _training_text(Path(training_file))
    absent = [t for t in tokens if t not in text]
    if absent:
        vocab = tokenizer.get_vocab()
        ids = [vocab[t] for t in absent if t in vocab]
        report.findings.append(Finding(
            "added_tokens_in_training_data", ERROR,
            f"{len(absent)} of {len(tokens)} added token(s) never occur in {Path(training_file).name}"
            + (f" (ids {_id_ranges(ids)})" if ids else "")
            + f": {_shorten(absent)}; their embeddings are never trained", tuple(absent)))


def verify_tokenizer(
    tokenizer,
    *,
    model=None,
    config: Any = None,
    generation_config: Any = None,
    training_file: str | Path | None = None,
    added_tokens: Sequence[str] | None = None,
) -> TokenizerReport:
    """Check ``tokenizer`` against its model, template and data; returns a ``TokenizerReport`` of named findings.

    ``config``: ``config.json`` (path, folder, dict or config object), for ``vocab_size`` (and eos/pad/bos);
    ``model``: a loaded model, whose embedding matrices and config are checked too; ``generation_config``: path,
    folder, dict or object (default: the model's, else ``generation_config.json`` beside ``config``);
    ``training_file``: text, JSON or JSON Lines; ``added_tokens``: the tokens you added (default: added tokens
    that are not special and that the template does not write). A check without its input is listed in
    ``report.skipped``.
    """
    report = TokenizerReport()
    config_data = _load_json_source(config, "config.json")
    if config_data is None and model is not None:
        config_data = _load_json_source(model.config, "config.json")
    if generation_config is None and model is not None and getattr(model, "generation_config", None) is not None:
        generation_config = model.generation_config
    if generation_config is None and isinstance(config, (str, Path)):
        folder = Path(config) if Path(config).is_dir() else Path(config).parent
        generation_config = folder / "generation_config.json"
    generation = _load_json_source(generation_config, "generation_config.json")
    model_config = _load_json_source(model.config, "config.json") if model is not None else None
    rendered = _render_probe(tokenizer) if _template_text(tokenizer) else ""
    _check_vocab(report, tokenizer, config_data, model)
    _check_special_tokens(report, tokenizer)
    _check_template_tokens(report, tokenizer, rendered)
    _check_ids(report, tokenizer, rendered, generation, model_config)
    _check_training_file(report, tokenizer, training_file, added_tokens)
    return report
