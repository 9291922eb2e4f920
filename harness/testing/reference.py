"""An independent correct masker, for testing checks of maskers (the harness's own tests, or yours).

It finds each assistant turn by prefix rendering (``P_i`` = history with the generation prompt, ``F_i`` = history with
the turn) and ends it at a stop string given by the caller, never through the oracle. Where the whole conversation
renders the turn or its history otherwise than ``F_i`` (a template that drops earlier reasoning, moves the system
prompt into the last user message, or closes a turn differently once more follows), the turn is found again in the
whole rendering (``harness.testing.rewritten``). ``per_message_masker`` gives
the same labels on ids tokenized piece by piece; the planted bugs (``harness.testing.planted``) are built on the same
span helpers.
"""

from __future__ import annotations

import os

from harness.adapters.transformers import encode_with_offsets, render
from harness.testing.rewritten import (after_header, first_stop, first_stop_end, next_text_start, own_text_region,
                                      span_in_whole, stops_of)

IGNORE = -100


def stop_ending_at(text: str, end: int, stop) -> str:
    """The stop string of ``stop`` that ends at ``end`` in ``text`` (the first given, if none does)."""
    return next((s for s in stops_of(stop) if text.endswith(s, 0, end)), stops_of(stop)[0])


def turn_spans(tokenizer, messages, tools, stop, *, first_stop_in_text: bool = False):
    """``(message index, start, end)`` of each assistant turn; ``stop`` is a stop string or several."""
    spans = []
    whole = render(tokenizer, messages, tools)
    floor = 0  # where the previous turn ends in ``whole``
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render(tokenizer, messages[:i], tools, add_generation_prompt=True)
        full = render(tokenizer, messages[: i + 1], tools)
        own_end = len(full)  # where the turn's prefix render ends
        history = render(tokenizer, messages[:i], tools)
        if full == history and prompt != history and i + 1 < len(messages):
            # The template writes the turn only once another message follows (Nemotron Nano v2 drops an empty final
            # answer): it starts after its header in the whole rendering.
            full = whole
            region = own_text_region(tokenizer, messages, tools, i, whole)
            start = after_header(tokenizer, whole, len(history), region[0] if region else len(whole),
                                 prompt[len(history) :])
        else:
            region = own_text_region(tokenizer, messages[: i + 1], tools, i, full)
            start = _turn_start(tokenizer, messages, tools, i, (history, prompt), full,
                                region[0] if region else len(full))
        # Stops are looked for after the turn's own text: one spelled inside the content is not the turn's.
        text_end = max(start, region[1]) if region is not None else start
        if not any(s in full[text_end:] for s in stops_of(stop)) and whole.startswith(full):
            # The template closes the turn only once another message follows (Apertus, GLM).
            full = whole
        # The turn ends at the template's stop string after the content (the last one in F_i),
        # or, for the planted bug, at the first stop string found after the turn starts.
        if first_stop_in_text:
            at, hit = first_stop(full, start, stop)
        elif full is whole:
            at, hit = _stop_before_next(tokenizer, messages, tools, i, whole, own_end, stop)
        else:
            bound = len(full) - _appended_length(tokenizer, messages[:i], tools, history, full, stop, text_end)
            at, hit = max((full.rfind(s, text_end, bound), s) for s in stops_of(stop))
        if at < 0:  # no stop at all (the last turn of Apertus, GLM; Command R's tool call): it ends with its text
            rendered = full[: own_end if full is whole else len(full) if first_stop_in_text else bound]
            at, hit = max(len(rendered.rstrip()), min(text_end, len(rendered))), ""  # a content "  " is the model's
        end = at + len(hit)
        if not first_stop_in_text:
            end = _first_stop_after_text(end, full, text_end, stop)
        if full is not whole and not whole.startswith(full[:end]):
            start, end = span_in_whole(tokenizer, messages, tools, i, whole, full, (prompt, start, end), stop,
                                       floor, first_stop_in_text)
        spans.append((i, start, end))
        floor = end
    return spans


def _stop_before_next(tokenizer, messages, tools, i, whole: str, after: int, stop) -> tuple[int, str]:
    """The first stop string in ``whole`` from ``after`` that ends before the next message's own text (a turn the
    template closes only once another message follows: Apertus, GLM); ``(-1, "")`` where none does (Seed-OSS writes
    no stop after an answer that is reasoning alone)."""
    return first_stop(whole, after, stop, next_text_start(tokenizer, messages, tools, i, whole))


def _first_stop_after_text(end: int, full: str, text_end: int, stop) -> int:
    """``end``, or the end of an earlier stop string that follows the turn's own text (which ends at ``text_end``): the
    model stops at the first one (DeepSeek-R1's template writes a tool-call turn, ``<｜end▁of▁sentence｜>``, then the
    turn again, empty)."""
    return min(first_stop_end(full, text_end, stop, default=end), end)


def _appended_length(tokenizer, before, tools, history: str, full: str, stop, text_end: int) -> int:
    """Length of the text a template writes after the last message on every render (an instruction turn), as
    ``history`` (the render of the messages ``before`` the turn) and ``full`` (history and turn, whose own text ends
    at ``text_end``) both end with it; 0 where ``full`` extends ``history``."""
    if full.startswith(history):
        return 0
    # The shortest such text that starts where a token of the history starts and not with the turn's stop string:
    # a longer one would reach into the turn where history and turn end alike; one cut inside a token is the part of
    # it the turn shares (Command R's instruction turn and its answer both start <|START_OF_TURN_TOKEN|><|). It starts
    # after the last message's own text and ends before the turn's, and never with the stop string or inside a token:
    # Bielik leaves out the "<|im_end|>\n" that closes tool outputs before an assistant turn, and the turn may end as
    # the tool output did (a call's "...</tool_call><|im_end|>\n" after "<|function_output|><|im_end|>\n").
    last = own_text_region(tokenizer, before, tools, len(before) - 1, history)
    longest = min(len(os.path.commonprefix([history[::-1], full[::-1]])), len(full) - text_end,
                  len(history) - last[1] if last is not None else len(history))
    starts = {a for a, _ in encode_with_offsets(tokenizer, history)[1]}
    fits = [t for t in range(1, longest + 1) if full.startswith(history[: len(history) - t])
            and not history.startswith(stops_of(stop), len(history) - t)]
    clean = [t for t in fits if len(history) - t in starts]
    return (clean or [0])[0]


def _turn_start(tokenizer, messages, tools, i, renders: tuple[str, str], full: str, own_start: int) -> int:
    """Where the model's text starts in ``full``: after the prompt, or, where the prompt has text the
    rendering does not repeat (a forced "Here are my reasoning steps:"), where the two part (never
    inside the turn's own text, which starts at ``own_start``: a copy of the turn whose content starts with
    another character parts there too, and a header the content spells is not the turn's). ``renders``: the history
    without and with the generation prompt."""
    history, prompt = renders
    if full.startswith(prompt):
        return len(prompt)
    shared = len(os.path.commonprefix([prompt, full]))
    content = messages[i].get("content")
    if isinstance(content, str):
        marked = [dict(m) for m in messages[: i + 1]]
        marked[i]["content"] = "\u00a7" + content
        shared = min(shared, len(os.path.commonprefix([prompt, render(tokenizer, marked, tools)])))
    header = prompt[len(history) :] if prompt.startswith(history) else ""
    at = full.find(header, shared - len(header) + 1, own_start) if header.strip() else -1
    if at >= 0:
        # The history renders otherwise once the turn follows (a tool result closed differently):
        # the turn starts after its header.
        return at + len(header)
    while not prompt[shared:].strip() and shared < len(full) and full[shared].isspace():
        shared += 1  # whitespace the rendering writes where the prompt writes other whitespace
    return shared


def mask_of_spans(offsets, spans):
    return [any(a < end and b > start for _, start, end in spans) and b > a for a, b in offsets]


def correct_masker(tokenizer, stop: str):
    def masker(messages, tools):
        text = render(tokenizer, messages, tools)
        ids, offsets = encode_with_offsets(tokenizer, text)
        mask = mask_of_spans(offsets, turn_spans(tokenizer, messages, tools, stop))
        return {"input_ids": ids, "labels": [t if m else IGNORE for t, m in zip(ids, mask)]}

    return masker


def correct_mask_masker(tokenizer, stop: str):
    """The same, returning a 0/1 mask as a torch tensor (the other half of the contract)."""
    import torch

    inner = correct_masker(tokenizer, stop)

    def masker(messages, tools):
        out = inner(messages, tools)
        return {
            "input_ids": torch.tensor(out["input_ids"]),
            "assistant_masks": torch.tensor([int(label != IGNORE) for label in out["labels"]]),
        }

    return masker


def labels_of(ids, mask):
    return {"input_ids": ids, "labels": [t if m else IGNORE for t, m in zip(ids, mask)]}


def prefix_length(tokenizer, messages, tools, k) -> int | None:
    """Length of the render of ``messages[:k]``; None where the template cannot render that prefix
    (Llama 3.1 with tools refuses a conversation that has no user message yet)."""
    if k == 0:
        return 0
    try:
        return len(render(tokenizer, messages[:k], tools))
    except Exception:
        return None


def role_spans(tokenizer, messages, tools, roles):
    """Character spans of whole messages of the given roles (prefix renders; header included)."""
    spans = []
    for k, message in enumerate(messages):
        if message["role"] in roles:
            before, after = prefix_length(tokenizer, messages, tools, k), prefix_length(tokenizer, messages, tools, k + 1)
            if before is not None and after is not None:
                spans.append((k, before, after))
    return spans


def per_message_masker(tokenizer, stop: str):
    """Correct labels on ids tokenized piece by piece (each message's rendering, and within an
    assistant turn the header, the generated text and the glue on their own): the same text as
    the rendering, another segmentation where tokens would merge across the cuts."""

    def masker(messages, tools):
        text = render(tokenizer, messages, tools)
        spans = turn_spans(tokenizer, messages, tools, stop)
        cuts = {0, len(text)}
        for k in range(1, len(messages)):
            cuts.add(prefix_length(tokenizer, messages, tools, k) or 0)
        for _, a, b in spans:
            cuts.update((a, b))
        ids, labels = [], []
        bounds = sorted(c for c in cuts if 0 <= c <= len(text))
        for a, b in zip(bounds, bounds[1:]):
            if a == b:
                continue
            piece = tokenizer(text[a:b], add_special_tokens=False)["input_ids"]
            trained = any(x <= a and b <= y for _, x, y in spans)
            ids += piece
            labels += [t if trained else IGNORE for t in piece]
        return {"input_ids": ids, "labels": labels}

    return masker
