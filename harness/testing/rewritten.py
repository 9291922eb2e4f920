"""Finding an assistant turn in a rendering that writes it, or the history before it, otherwise than the turn's own
prefix render (a template that drops earlier reasoning, moves the system prompt into the last user message, or closes
a turn differently once more follows): the part for ``harness.testing.reference`` that does not rely on prefix
stability. The turn's own text is where a twin render with marks in its fields differs; the turn runs from what the
model sampled before that text (else from the assistant header) to its stop string.
"""

from __future__ import annotations

import json
import os

from harness.adapters.transformers import encode_with_offsets, render
from harness.masking.conversation import REASONING_FIELDS


def stops_of(stop) -> tuple[str, ...]:
    """``stop`` as a tuple: one stop string, or several (one after a tool call, another after an answer)."""
    return (stop,) if isinstance(stop, str) else tuple(stop)


def span_in_whole(tokenizer, messages, tools, i, whole, full, sampled, stop, floor, first_stop_in_text):
    """``(start, end)`` in ``whole`` of turn ``i``, which ``whole`` renders otherwise than its prefix render ``full``
    (where the turn spans ``start:end`` after ``prompt``, as ``sampled`` holds them)."""
    prompt, start, end = sampled
    in_whole = own_text_region(tokenizer, messages, tools, i, whole)
    in_full = own_text_region(tokenizer, messages[: i + 1], tools, i, full)
    if in_whole is None or in_full is None:
        # Nothing marks the turn in one of them (its fields render nowhere, or the whole rendering keeps only a part
        # of the content the marks miss: Nemotron Nano v2 keeps what lies between the first two "</think>"): the turn
        # runs from its header to the last stop string before the next message's text (the kept part may spell one).
        hi = next_text_start(tokenizer, messages, tools, i, whole)
        header = _generation_header(tokenizer, messages, tools, i, prompt, full, start)
        begin = after_header(tokenizer, whole, floor, hi, header)
        at, hit = max((whole.rfind(s, begin, hi), s) for s in stops_of(stop))
        return begin, (at + len(hit) if at >= 0 else hi)
    lead, tail = full[start : in_full[0]], full[in_full[1] : end]
    if lead and whole.endswith(lead, floor, in_whole[0]):
        begin = in_whole[0] - len(lead)
    else:  # the text before the turn's own was rewritten (reasoning dropped): the turn starts after its header
        header = _generation_header(tokenizer, messages, tools, i, prompt, full, start)
        begin = after_header(tokenizer, whole, floor, in_whole[0], header)
    if first_stop_in_text:
        return begin, first_stop_end(whole, begin, stop, default=in_whole[1])
    if tail and whole.startswith(tail, in_whole[1]):
        end = in_whole[1] + len(tail)
        if not whole.endswith(stops_of(stop), begin, end):
            # Sampled without a stop the template writes only once another message follows (GLM's <|observation|>).
            after = len(whole) - len(whole[end:].lstrip())
            hit = next((s for s in stops_of(stop) if whole.startswith(s, after)), None)
            end = after + len(hit) if hit else end
        return begin, end
    return begin, first_stop_end(whole, in_whole[1], stop, default=in_whole[1])


def next_text_start(tokenizer, messages, tools, i, whole: str) -> int:
    """Where in ``whole`` the own text of the first message after ``i`` that has one starts (its end if none has)."""
    later = (own_text_region(tokenizer, messages, tools, k, whole) for k in range(i + 1, len(messages)))
    return next((region[0] for region in later if region is not None), len(whole))


def first_stop(text: str, at: int, stop, hi: int | None = None) -> tuple[int, str]:
    """``(where, which)`` of the first stop string in ``text[at:hi]``; ``(-1, "")`` where there is none."""
    found = [(text.find(s, at, len(text) if hi is None else hi), s) for s in stops_of(stop)]
    return min(((a, s) for a, s in found if a >= 0), default=(-1, ""))


def first_stop_end(text: str, at: int, stop, *, default: int) -> int:
    """End of the first stop string in ``text`` from ``at``; ``default`` where there is none."""
    hit_at, hit = first_stop(text, at, stop)
    return hit_at + len(hit) if hit_at >= 0 else default


def _generation_header(tokenizer, messages, tools, i, prompt: str, full: str, start: int) -> str:
    """What the generation prompt adds to the history (``<|im_start|>assistant\n``, maybe a forced ``<think>\n``), as
    far as the turn's own render ``full`` repeats it before the turn (``<think>`` of ``<think>\n``)."""
    history = render(tokenizer, messages[:i], tools) if i else ""
    header = prompt[len(os.path.commonprefix([history, prompt])) :]
    return next((header[:k] for k in range(len(header), 0, -1) if full.endswith(header[:k], 0, start)), header)


def after_header(tokenizer, text: str, lo: int, hi: int, header: str) -> int:
    """Just after the last assistant header in ``text[lo:hi]``: the generation prompt's header, else its first line
    and as many of the header's next whole tokens as follow it (Nemotron's rewritten history writes ``<think>`` of a
    forced ``<think>\n``, then ``</think>``), else its first token (GLM's ``<|assistant|>``: the rewritten history no
    longer shows a forced ``<think>``), else ``hi``."""
    line = len(header)
    if "\n" in header:
        line = header.find("\n") + 1
        while line < len(header) and header[line].isspace():
            line += 1
    offsets = encode_with_offsets(tokenizer, header)[1] if header else []
    first_token = header[: offsets[0][1]] if offsets else header
    # Of the header and its first line, the one that ends last: a header spelled inside an earlier message (a tool
    # result holding "<|im_start|>assistant\n<think>\n") ends before the turn's own.
    for candidates in ([header, header[:line]], [first_token]):
        ends = [text.rfind(c, lo, hi) + len(c) for c in candidates if c.strip() and text.rfind(c, lo, hi) >= 0]
        if ends:
            end = max(ends)
            if candidates[0] is header and end == text.rfind(header[:line], lo, hi) + line:
                forced = [b - line for _, b in offsets if b > line and text.startswith(header[line:b], end)]
                end += max((n for n in forced if end + n <= hi), default=0)
            return end
    return hi


_MARK = "QZ"


def own_text_region(tokenizer, messages, tools, i, text: str) -> tuple[int, int] | None:
    """``(start, end)`` of the part of ``text`` (the render of ``messages``) that changes when message ``i``'s own
    fields change (content, reasoning, tool-call arguments): a twin render with a mark at both ends of each."""
    twin = [dict(m) for m in messages]
    twin[i] = _marked(messages[i])
    try:
        other = render(tokenizer, twin, tools)
    except Exception:
        return None
    if other == text:
        return None
    head = len(os.path.commonprefix([text, other]))
    tail = min(len(os.path.commonprefix([text[::-1], other[::-1]])), len(text) - head, len(other) - head)
    return head, len(text) - tail


def _marked(message):
    marked = dict(message)
    for field in ("content", *REASONING_FIELDS):
        # An empty content is marked only where nothing else is (a call's arguments are): DeepSeek-R1 writes a
        # tool-call turn's content again after its stop, which would stretch the region over the copy.
        if isinstance(marked.get(field), str) and (marked[field] or field == "content" and not marked.get("tool_calls")):
            marked[field] = _MARK + _answer_marked(marked[field]) + _MARK
    if marked.get("tool_calls"):
        marked["tool_calls"] = [_marked_call(call) for call in marked["tool_calls"]]
    return marked


def _answer_marked(text: str) -> str:
    """``text`` with a mark where its answer starts after inline reasoning (``<think>…</think>``), which a template that
    drops earlier reasoning removes together with the mark before it."""
    at = text.rfind("</think>")
    if at < 0:
        return text
    at += len("</think>")
    while at < len(text) and text[at].isspace():
        at += 1
    return text[:at] + _MARK + text[at:]


def _marked_call(call):
    call = dict(call)
    function = dict(call.get("function") or {})
    arguments = function.get("arguments")
    if isinstance(arguments, dict):
        function["arguments"] = {"0qz": _MARK, **arguments, "zzqz": _MARK}
    elif isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
        function["arguments"] = (json.dumps({"0qz": _MARK, **parsed, "zzqz": _MARK}) if isinstance(parsed, dict)
                                 else _MARK + arguments + _MARK)
    call["function"] = function
    return call
