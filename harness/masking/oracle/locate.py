"""Where each assistant turn, and each message, is in the full rendering of the conversation.

A turn rendered exactly as sampled is found by prefix (``_located_by_prefix``, the common case).
A turn the template rewrites in history (Qwen3 drops earlier reasoning, gpt-oss the analysis
channel) is found through message regions (``_located_by_regions``): a twin render per message
gives the region of the rendering that depends on that message's text, and the turn starts after
the last assistant header before its region and ends at its stop token.

``MessageStarts`` is where each message's rendering starts, found lazily (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.masking.oracle.anchor import _header_proper_length
from harness.masking.oracle.render import _render, _text_region
from harness.masking.oracle.sampled import _Sampled, _empty_calls, _empty_turn_region, _joined, _says_nothing
from harness.masking.oracle.stops import _common_prefix_length, _first_stop, _last_stop, _stop_strings
from harness.masking.oracle.types import OracleError, TurnSpan


def _header_ws_start(text: str, start: int, header: str) -> int:
    trailing = len(header) - len(header.rstrip())
    return start - trailing if text[start - trailing : start] == header[len(header) - trailing :] else start


def _glue_end(text: str, end: int, limit: int) -> int:
    glue = end
    while glue < limit and text[glue].isspace():
        glue += 1
    return glue


def _located_by_prefix(text: str, sampled: _Sampled) -> TurnSpan | None:
    """The turn's span when ``text`` renders it exactly as sampled (``message_index`` left -1), else None."""
    if not text.startswith(sampled.full[: sampled.end]):
        return None
    stop_start = sampled.stop[0] if sampled.stop else sampled.end
    return TurnSpan(
        message_index=-1,
        header_start=sampled.header_start,
        header_end=sampled.header_start + _header_proper_length(sampled.header),
        header_ws_start=_header_ws_start(text, sampled.start, sampled.header),
        start=sampled.start,
        stop_start=stop_start,
        end=sampled.end,
        glue_end=_glue_end(text, sampled.end, len(text)),
        sampled_text=sampled.full[sampled.start : sampled.end],
        loose=sampled.loose if sampled.loose and sampled.loose[0] < sampled.loose[1] else None,
    )


def _message_regions(tokenizer, messages, tools, text, template_kwargs) -> list[tuple[int, int] | None]:
    """Per message, the region of ``text`` its text occupies (None where nothing marks it); in order."""
    regions = []
    for k in range(len(messages)):
        region = _text_region(tokenizer, messages, k, tools, template_kwargs, text)
        if region is None or _empty_calls(messages[k]):
            region = _joined(region, _empty_region(tokenizer, messages, k, tools, template_kwargs, text))
        regions.append(region)
    previous_end = 0
    for k, region in enumerate(regions):
        if region is None:
            continue
        if region[0] < previous_end:
            raise OracleError(
                f"message {k}: its text changes how other messages render, so its place in the rendering "
                "cannot be told apart (history rewriting the oracle does not model)"
            )
        previous_end = region[1]
    return regions


def _empty_region(tokenizer, messages, k, tools, template_kwargs, text) -> tuple[int, int] | None:
    """For an assistant turn with parts that have nothing to twin (no text; calls with empty arguments), the region
    where marks in them are written; None for other messages, or where the marks change nothing."""
    message = messages[k]
    if message.get("role") != "assistant" or not (message.get("tool_calls") or _says_nothing(message)):
        return None
    return _empty_turn_region(tokenizer, messages, tools, k, text, "", template_kwargs)


def _located_by_regions(text, sampled: _Sampled, i, regions, stop_strings) -> TurnSpan:
    """The span of turn ``i`` as ``text`` renders it, between its neighbours' regions."""
    lo = max((r[1] for r in regions[:i] if r is not None), default=0)
    hi = min((r[0] for r in regions[i + 1 :] if r is not None), default=len(text))
    region = regions[i]
    search_end = region[0] if region is not None else hi
    if sampled.header:
        # The header as the prompt writes it, else its role part alone (GLM and MiniMax force "<think>"
        # in the prompt, which the rewritten history no longer shows).
        first = _first_stop(sampled.header, stop_strings, 0, len(sampled.header))
        role = sampled.header[: first[1]] if first is not None and first[0] == 0 else sampled.header
        for header in dict.fromkeys([sampled.header, sampled.header[: _header_proper_length(sampled.header)], role]):
            at = text.rfind(header, lo, search_end)
            if at >= 0:
                break
        if at < 0:
            raise OracleError(f"message {i}: assistant header {sampled.header!r} not found where the turn is rendered")
        header_start = at
        # The rewritten turn starts after the header found and the special tokens the prompt forces after it that the
        # turn repeats (Nemotron writes "<think>" of a forced "<think>\n", then "</think>").
        start = at + len(header)
        forced = sampled.full[sampled.header_start + len(header) : sampled.start]  # header rest, loose text
        start += _repeated_specials(text, start, search_end, forced, stop_strings)
    else:
        # No header (Llama-2's "[/INST] answer"): the turn starts after the text the template
        # writes between the previous message's last character and the turn, as sampled.
        lead_in = sampled.lead_in()
        if lead_in is None or i == 0 or regions[i - 1] is None or not text.startswith(lead_in, regions[i - 1][1]):
            raise OracleError(f"message {i}: the template writes no assistant header to find the rewritten turn by")
        start = regions[i - 1][1] + len(lead_in)
        header_start = start
    text_end = region[1] if region is not None else start
    whole_turn = sampled.full[sampled.start : sampled.end]
    if region is None and sampled.stop is not None and whole_turn and text.startswith(whole_turn, start):
        # Nothing of the turn's own marks it (calls with empty arguments): the turn as sampled, where it follows.
        end = start + len(whole_turn)
        stop = (end - (sampled.stop[1] - sampled.stop[0]), end)
    elif text.startswith(sampled.tail_after_text, text_end) and sampled.stop is not None:
        end = text_end + len(sampled.tail_after_text)
        stop = _last_stop(text, stop_strings, text_end, end)
    elif sampled.stop is None:
        # A turn sampled without a stop token ends with its text; a special token the template writes once
        # another message follows is judged by the caller (``_stop_written_after``), as for a turn found by prefix.
        stop = None
        end = _closing_end(text, text_end, hi, sampled.tail_after_text)
    else:
        # Prefer the stop token the model sampled (<|im_end|>); a rewritten history may end the
        # turn with another one (gpt-oss: <|return|> becomes <|end|>).
        sampled_stop = [sampled.full[sampled.stop[0] : sampled.stop[1]]]
        stop = _first_stop(text, sampled_stop, text_end, hi) or _first_stop(text, stop_strings, text_end, hi)
        if stop is None:
            raise OracleError(f"message {i}: no stop token after the turn's content in the rendering")
        end = stop[1]
    header_end = header_start + _header_proper_length(text[header_start:start])
    return TurnSpan(
        message_index=i,
        header_start=header_start,
        header_end=header_end,
        header_ws_start=_header_ws_start(text, start, sampled.header),
        start=start,
        stop_start=stop[0] if stop else end,
        end=end,
        glue_end=_glue_end(text, end, hi),
        sampled_text=sampled.full[sampled.start : sampled.end],
        # What the prompt forces after the header proper, as the rewritten turn repeats it, may have been sampled
        # there as much as forced (a rewritten history no longer shows which): either label.
        loose=(header_end, start) if header_end < start else None,
    )


def _closing_end(text: str, text_end: int, hi: int, tail: str) -> int:
    """End of a turn without a stop token whose text ends at ``text_end``: after its closing text ``tail`` (the
    rendering's text after the turn's own, as sampled). Where the rewritten turn writes more inside it (Apriel 1.6 adds
    a call's id in history: ``}, "id": "call_0001"}]</tool_calls>`` for ``}}]</tool_calls>``), after the longest
    part of its end, at least half of it, found before ``hi``; else at ``text_end``."""
    if text.startswith(tail, text_end):
        return text_end + len(tail)
    for n in range(len(tail) - 1, max(len(tail) // 2, 1) - 1, -1):
        at = text.find(tail[-n:], text_end, hi) if tail[-n:].strip() else -1
        if at >= 0:
            return at + n
    return text_end


def _repeated_specials(text: str, at: int, limit: int, rest: str, stop_strings) -> int:
    """Length of the run of special tokens that opens ``rest`` and that ``text`` repeats at ``at``, before ``limit``."""
    n = 0
    while True:
        hit = next((s for s in stop_strings if rest.startswith(s, n) and text.startswith(s, at + n, limit)), None)
        if hit is None:
            return n
        n += len(hit)


def _message_starts(tokenizer, messages, tools, text, template_kwargs) -> list[int | None]:
    """Character where each message's rendering starts in ``text``, where prefix renders allow it."""
    starts: list[int | None] = []
    for k in range(len(messages)):
        if k == 0:
            starts.append(0)
            continue
        try:
            prefix = _render(tokenizer, messages[:k], tools, template_kwargs)
        except OracleError:
            starts.append(None)
            continue
        # Up to where the prefix render agrees with the full one (a conversation ending such as
        # Phi's <|endoftext|> is not part of message k); approximate where history is rewritten.
        starts.append(_common_prefix_length(prefix, text, _stop_strings(tokenizer)))
    return starts


class MessageStarts:
    """Where each message's rendering starts in the full text: rendered once, on first use.

    Finding the starts takes one prefix render per message, and most checks never ask for them
    (only the token table's roles do), so ``build_oracle`` gives the ``Oracle`` this deferred
    computation rather than the list. It holds the render inputs until the first ``get()``, then
    only the list; its repr shows the list (or that it is pending), never the tokenizer.
    ``MessageStarts.known(starts)`` wraps starts already found.
    """

    __slots__ = ("_inputs", "_starts")

    def __init__(self, tokenizer, messages, tools, text: str, template_kwargs) -> None:
        self._inputs: tuple | None = (tokenizer, messages, tools, text, template_kwargs)
        self._starts: list[int | None] | None = None

    @classmethod
    def known(cls, starts: Sequence[int | None]) -> "MessageStarts":
        located = cls.__new__(cls)
        located._inputs, located._starts = None, list(starts)
        return located

    @property
    def rendered(self) -> bool:
        """Whether the starts are known (the prefix renders were done)."""
        return self._starts is not None

    def get(self) -> list[int | None]:
        """The starts, rendering the prefixes the first time."""
        if self._starts is None:
            self._starts = _message_starts(*self._inputs)
            self._inputs = None  # the tokenizer and messages are no longer needed
        return self._starts

    def __repr__(self) -> str:
        return f"MessageStarts({self._starts})" if self.rendered else "MessageStarts(<not rendered yet>)"
