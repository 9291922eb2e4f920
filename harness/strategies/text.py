"""Message text: ``texts()``, plain words first, then the hard cases (whitespace, non-ASCII, long text, control
strings spelled inside content)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from hypothesis import strategies as st

from harness.strategies.options import check_bool, check_control_strings, check_int

# Hard non-ASCII pieces: accents, CJK, emoji (with ZWJ and skin tone), combining marks, RTL scripts.
NON_ASCII = (
    "café naïve",
    "日本語のテキスト",
    "中文字符",
    "한국어",
    "👍🏽 👨‍👩‍👧 🎉",
    "e\u0301 a\u0308 n\u0303",
    "مرحبا بالعالم",
    "שלום עולם",
    "\u200b\u200d\ufeff",
    "Ωμέγα ß ﬁ",
)
SEED_TAGS = ("cite", "answer")

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_PLAIN = st.lists(_WORD, max_size=6).map(" ".join)


def texts(*, max_size: int = 4000, control_strings: Sequence[str] = (), hard: bool = True) -> st.SearchStrategy[str]:
    """Message text: plain lowercase words first (shrinks to ""), then, if ``hard``, empty strings,
    leading/trailing whitespace, non-ASCII (accents, CJK, emoji, combining marks, Arabic/Hebrew),
    long text (rarely: a few thousand characters, if ``max_size`` allows) and ``control_strings``
    spelled inside the content. Every text is at most ``max_size`` characters. Built once per set
    of options (strategies are immutable, and composites ask for them on every draw)."""
    check_int("max_size", max_size, 0)
    check_bool("hard", hard)
    return _texts(max_size, check_control_strings(control_strings), hard)


@functools.lru_cache(maxsize=256)
def _texts(max_size: int, controls: tuple[str, ...], hard: bool) -> st.SearchStrategy[str]:
    if not hard:
        return _PLAIN.map(lambda s: s[:max_size])
    # The first few control strings (control_strings_for lists the template's own turn-ending tokens
    # first) are drawn half the time: a stop token spelled inside content is the case that matters.
    control = st.one_of(st.sampled_from(controls[:3]), st.sampled_from(controls)) if controls else None
    piece = st.one_of(_PLAIN, st.sampled_from(NON_ASCII), *([control] if controls else []))
    mixed = st.lists(piece, min_size=1, max_size=4).map(" ".join)
    padded = st.tuples(
        st.sampled_from([" ", "\n", "  \n", "\t", "\n\n"]), mixed, st.sampled_from(["", " ", "\n", "\n\n "])
    ).map("".join)
    hard_cases = [st.just(""), mixed, padded]
    if controls:
        # A control string glued to words, as a model (or a scraped document) might write it.
        hard_cases.append(st.tuples(_PLAIN, control, _PLAIN).map("".join))
    if max_size >= 1000:
        long_text = st.tuples(mixed, st.integers(200, 600)).map(lambda p: ((p[0] or "x") + "\n") * p[1])
        hard_cases.append(long_text)
    # Plain text most of the time; hard cases are a third of the draws, long text rare.
    strategy = st.one_of(_PLAIN, _PLAIN, st.one_of(*hard_cases))
    return strategy.map(lambda s: s[:max_size])
