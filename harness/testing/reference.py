"""An independent correct masker, for testing checks of maskers (the harness's own tests, or yours).

It finds each assistant turn by prefix rendering (``P_i`` = history with the generation prompt, ``F_i`` = history with
the turn) and ends it at a stop string given by the caller, never through the oracle. It is correct only for templates
that do not rewrite history. ``per_message_masker`` gives the same labels on ids tokenized piece by piece; the planted
bugs (``harness.testing.planted``) are built on the same span helpers.
"""

from __future__ import annotations

from harness.adapters.transformers import encode_with_offsets, render

IGNORE = -100


def stops_of(stop) -> tuple[str, ...]:
    """``stop`` as a tuple: one stop string, or several (one after a tool call, another after an answer)."""
    return (stop,) if isinstance(stop, str) else tuple(stop)


def stop_ending_at(text: str, end: int, stop) -> str:
    """The stop string of ``stop`` that ends at ``end`` in ``text`` (the first given, if none does)."""
    return next((s for s in stops_of(stop) if text.endswith(s, 0, end)), stops_of(stop)[0])


def turn_spans(tokenizer, messages, tools, stop, *, first_stop_in_text: bool = False):
    """``(message index, start, end)`` of each assistant turn; ``stop`` is a stop string or several."""
    spans = []
    whole = render(tokenizer, messages, tools)
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render(tokenizer, messages[:i], tools, add_generation_prompt=True)
        full = render(tokenizer, messages[: i + 1], tools)
        start = _turn_start(tokenizer, messages, tools, i, prompt, full)
        if not any(s in full[start:] for s in stops_of(stop)) and whole.startswith(full):
            # The template closes the turn only once another message follows (Apertus, GLM).
            full = whole
        # The turn ends at the template's stop string after the content (the last one in F_i),
        # or, for the planted bug, at the first stop string found after the turn starts.
        if first_stop_in_text:
            found = [(full.find(s, start), s) for s in stops_of(stop)]
            at, hit = min(((a, s) for a, s in found if a >= 0), default=(-1, stops_of(stop)[0]))
        elif full is whole:
            found = [(full.find(s, len(render(tokenizer, messages[: i + 1], tools))), s) for s in stops_of(stop)]
            at, hit = min(((a, s) for a, s in found if a >= 0), default=(-1, ""))
        else:
            bound = len(full) - _appended_length(render(tokenizer, messages[:i], tools), full)
            at, hit = max((full.rfind(s, 0, bound), s) for s in stops_of(stop))
        if at < 0:  # no stop at all (the last turn of Apertus, GLM): the turn ends with its text
            at, hit = len(full.rstrip()), ""
        spans.append((i, start, at + len(hit)))
    return spans


def _appended_length(history: str, full: str) -> int:
    """Length of the text a template writes after the last message on every render (an instruction
    turn), as ``full`` (history and turn) ends with it too; 0 where ``full`` extends ``history``."""
    if full.startswith(history):
        return 0
    import os

    # The shortest such text: a longer one would reach into the turn where history and turn end alike.
    longest = len(os.path.commonprefix([history[::-1], full[::-1]]))
    for tail in range(1, longest + 1):
        if full.startswith(history[: len(history) - tail]):
            return tail
    return 0


def _turn_start(tokenizer, messages, tools, i, prompt: str, full: str) -> int:
    """Where the model's text starts in ``full``: after the prompt, or, where the prompt has text the
    rendering does not repeat (a forced "Here are my reasoning steps:"), where the two part (never
    inside the turn's own text: a copy of the turn whose content starts with another character parts
    there too)."""
    if full.startswith(prompt):
        return len(prompt)
    import os

    shared = len(os.path.commonprefix([prompt, full]))
    content = messages[i].get("content")
    if isinstance(content, str):
        marked = [dict(m) for m in messages[: i + 1]]
        marked[i]["content"] = "\u00a7" + content
        shared = min(shared, len(os.path.commonprefix([prompt, render(tokenizer, marked, tools)])))
    history = render(tokenizer, messages[:i], tools)
    header = prompt[len(history) :] if prompt.startswith(history) else ""
    if header.strip() and full.find(header, shared - len(header) + 1) >= 0:
        # The history renders otherwise once the turn follows (a tool result closed differently):
        # the turn starts after its header.
        return full.find(header, shared - len(header) + 1) + len(header)
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
