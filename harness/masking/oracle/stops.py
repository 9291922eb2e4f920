"""Stop tokens: the tokenizer's special-token strings, and finding them in a rendering.

A turn ends at the template's own stop token; a prefix is never cut inside a special token; and
content that spells a special token (``<|im_end|>`` in a user message) is a ``control_string``
hazard, since most tokenizers encode it as the real control token.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from harness.adapters import transformers as hf
from harness.masking.conversation import REASONING_FIELDS
from harness.masking.oracle.render import _shared_prefix
from harness.masking.oracle.types import Hazard


def _stop_strings(tokenizer) -> list[str]:
    """The tokenizer's special-token strings, longest first."""
    return sorted(hf.special_token_strings(tokenizer), key=len, reverse=True)


def _last_stop(text: str, stop_strings: Sequence[str], lo: int, hi: int) -> tuple[int, int] | None:
    """The stop token in ``text[lo:hi]`` that ends last (the earliest-starting one among ties)."""
    best = None
    for stop in stop_strings:
        at = text.rfind(stop, lo, hi)
        if at >= 0 and (best is None or at + len(stop) > best[1] or (at + len(stop) == best[1] and at < best[0])):
            best = (at, at + len(stop))
    return best


def _first_stop(text: str, stop_strings: Sequence[str], lo: int, hi: int) -> tuple[int, int] | None:
    """The stop token in ``text[lo:hi]`` that starts first (the longest one among ties)."""
    best = None
    for stop in stop_strings:
        at = text.find(stop, lo, hi)
        if at >= 0 and (best is None or at < best[0] or (at == best[0] and at + len(stop) > best[1])):
            best = (at, at + len(stop))
    return best


def _common_prefix_length(a: str, b: str, stop_strings: Sequence[str]) -> int:
    """Length of the common prefix of ``a`` and ``b``, never cutting a special token of ``a`` in two."""
    return _outside_special(a, _shared_prefix(a, b), stop_strings)


def conversation_ending(history: str, prompt: str, stop_strings: Sequence[str]) -> str:
    """What ``history`` (a render without generation prompt) has after its common part with ``prompt``."""
    return history[_common_prefix_length(history, prompt, stop_strings) :]


def _outside_special(text: str, position: int, stop_strings: Sequence[str]) -> int:
    """``position``, moved back to the start of a special token it would cut in two."""
    if not stop_strings:
        return position
    longest = max(len(stop) for stop in stop_strings)
    lo = max(0, position - longest + 1)
    for match in _special_pattern(tuple(stop_strings)).finditer(text, lo, position + longest - 1):
        for stop in stop_strings:  # the match may be one of several overlapping spellings
            if text.startswith(stop, match.start()) and match.start() < position < match.start() + len(stop):
                return match.start()
    return position


@functools.lru_cache(maxsize=64)
def _special_pattern(stop_strings: tuple[str, ...]):
    import re

    return re.compile("|".join(re.escape(stop) for stop in sorted(stop_strings, key=len, reverse=True)))


def _control_string_hazards(messages, stop_strings) -> list[Hazard]:
    """A ``control_string`` hazard for each message whose text spells a special token."""
    hazards = []
    for k, message in enumerate(messages):
        fields = [message.get("content")] + [message.get(name) for name in REASONING_FIELDS]
        for call in message.get("tool_calls") or []:
            fields.append(str(call.get("function", call).get("arguments")))
        spelled = sorted({s for s in stop_strings for f in fields if isinstance(f, str) and s in f})
        if spelled:
            hazards.append(
                Hazard(
                    "control_string",
                    k,
                    f"{message['role']} text spells control token(s) {', '.join(spelled)}; the tokenizer encodes "
                    "them as the control token ids, not as text (the oracle still ends turns where the template does)",
                )
            )
    return hazards


def _special_hits(text: str, stop_strings: Sequence[str], lo: int, hi: int) -> list[tuple[int, int]]:
    """Every special-token spelling in ``text[lo:hi]``, in order (the longest where several start together)."""
    if not stop_strings:
        return []
    return [(m.start(), m.end()) for m in _special_pattern(tuple(stop_strings)).finditer(text, lo, hi)]


def _openers(prompt_tail: str, stop_strings: Sequence[str], preferred: str | None = None) -> frozenset[str]:
    """Special tokens that open a turn: those of the generation prompt (``prompt_tail``). Where the
    previous turn writes the header (the generation prompt adds nothing), ``prompt_tail`` is the
    prompt's end: the tokens after its last ``preferred`` (end-of-turn) token, else all but the first
    (which closes the previous message)."""
    hits = [prompt_tail[a:b] for a, b in _special_hits(prompt_tail, stop_strings, 0, len(prompt_tail))]
    if preferred and preferred in hits:
        return frozenset(hits[len(hits) - hits[::-1].index(preferred) :])
    return frozenset(hits[1:] if len(hits) > 1 else hits)


def _turn_stop(text: str, stop_strings: Sequence[str], lo: int, hi: int, *, preferred: str | None = None,
               openers: frozenset[str] = frozenset()) -> tuple[int, int] | None:
    """The stop token ending a turn whose text ends at ``lo``: among the special tokens after it, up to the
    first that opens another turn (``openers``), the first ``preferred`` (the tokenizer's end-of-turn
    token), else the last one (Qwen's ``</tool_call><|im_end|>``)."""
    kept = []
    for a, b in _special_hits(text, stop_strings, lo, hi):
        if kept and text[a:b] in openers:
            break  # the next turn, or text written after the last message, starts here
        kept.append((a, b))
    for a, b in kept:
        if text[a:b] == preferred:
            return (a, b)
    return kept[-1] if kept else None
