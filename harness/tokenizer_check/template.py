"""Checks of what the chat template writes: its control tokens are single tokens of the vocabulary
(``template_control_tokens``), and eos, pad and bos agree across the tokenizer, the configs and the template
(``special_ids_agree``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.adapters import transformers as hf
from harness.tokenizer_check.findings import ERROR, WARNING, Finding
from harness.tokenizer_check.vocabulary import special_strings

# Strings shaped like control tokens in a template or its rendering.
CONTROL_SHAPES = re.compile(r"<\|[^<>|\s]{1,40}\|>|<｜[^<>\s]{1,40}｜>|<(?:start|end)_of_[a-z_]{1,20}>")
_PROBE = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}, {"role": "assistant", "content": "Ans"}]


def _as_ids(value: Any) -> set[int]:
    if value is None:
        return set()
    if isinstance(value, (list, tuple, set)):
        return {int(v) for v in value}
    return {int(value)}


def template_text(tokenizer) -> str:
    """The chat template (all named variants), Jinja comments removed (they may mention tokens in prose)."""
    template = tokenizer.chat_template
    if isinstance(template, dict):
        template = "\n".join(str(v) for v in template.values())
    return re.sub(r"\{#.*?#\}", "", template or "", flags=re.S)


def _control_strings(tokenizer, rendered: str) -> set[str]:
    return set(CONTROL_SHAPES.findall(template_text(tokenizer))) | set(CONTROL_SHAPES.findall(rendered))


def render_probe(tokenizer) -> str:
    """A small conversation rendered (without its system message where the template refuses one), or ""."""
    for messages in (_PROBE, _PROBE[1:]):
        try:
            return hf.render(tokenizer, messages)
        except Exception:  # noqa: BLE001 - a template that refuses a system message gets the shorter probe
            continue
    return ""


def check_template_tokens(report, tokenizer, rendered: str) -> None:
    """``template_control_tokens``: every control token the template writes is one token of the vocabulary."""
    if not template_text(tokenizer):
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
    specials = special_strings(tokenizer)
    tail = rendered[at + 3:]
    found = [(tail.find(s), s) for s in specials if tail.find(s) >= 0]
    if not found:
        return None
    position, text = min(found, key=lambda p: (p[0], -len(p[1])))
    return text, specials[text]


def check_ids(report, tokenizer, rendered: str, generation: Mapping | None, model_config: Mapping | None) -> None:
    """``special_ids_agree``: eos, pad and bos of the tokenizer, the configs and the template agree."""
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
