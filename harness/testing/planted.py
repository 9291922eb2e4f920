"""Maskers for testing the harness itself: an independent correct one, and planted bugs.

The correct masker finds each assistant turn by prefix rendering (``P_i`` = history with the
generation prompt, ``F_i`` = history with the turn) and ends it at a stop string given by the
test, never through the oracle. It is correct only for templates that do not rewrite history,
which is where the tests use it. Each planted bug is a real-world masking bug shape.
"""

from __future__ import annotations

from harness.adapters.transformers import encode_with_offsets, render

IGNORE = -100


def _turn_spans(tokenizer, messages, tools, stop: str, *, first_stop_in_text: bool = False):
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render(tokenizer, messages[:i], tools, add_generation_prompt=True)
        full = render(tokenizer, messages[: i + 1], tools)
        start = len(prompt)
        # The turn ends at the template's stop string after the content (the last one in F_i),
        # or, for the planted bug, at the first stop string found after the turn starts.
        end = (full.find(stop, start) if first_stop_in_text else full.rfind(stop)) + len(stop)
        spans.append((i, start, end))
    return spans


def _mask(offsets, spans):
    return [any(a < end and b > start for _, start, end in spans) and b > a for a, b in offsets]


def correct_masker(tokenizer, stop: str):
    def masker(messages, tools):
        text = render(tokenizer, messages, tools)
        ids, offsets = encode_with_offsets(tokenizer, text)
        mask = _mask(offsets, _turn_spans(tokenizer, messages, tools, stop))
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


def _bug(transform):
    """A planted bug: ``transform(tokenizer, stop, messages, tools, text, ids, offsets, mask) -> (ids, labels)``."""

    def make(tokenizer, stop):
        def masker(messages, tools):
            text = render(tokenizer, messages, tools)
            ids, offsets = encode_with_offsets(tokenizer, text)
            spans = _turn_spans(tokenizer, messages, tools, stop)
            return transform(tokenizer, stop, messages, tools, text, ids, offsets, spans)

        make.__name__ = transform.__name__
        return masker

    make.__name__ = transform.__name__
    return make


def _labels(ids, mask):
    return {"input_ids": ids, "labels": [t if m else IGNORE for t, m in zip(ids, mask)]}


def _prefix_length(tokenizer, messages, tools, k) -> int | None:
    """Length of the render of ``messages[:k]``; None where the template cannot render that prefix
    (Llama 3.1 with tools refuses a conversation that has no user message yet)."""
    if k == 0:
        return 0
    try:
        return len(render(tokenizer, messages[:k], tools))
    except Exception:
        return None


def _role_spans(tokenizer, messages, tools, roles):
    """Character spans of whole messages of the given roles (prefix renders; header included)."""
    spans = []
    for k, message in enumerate(messages):
        if message["role"] in roles:
            before, after = _prefix_length(tokenizer, messages, tools, k), _prefix_length(tokenizer, messages, tools, k + 1)
            if before is not None and after is not None:
                spans.append((k, before, after))
    return spans


@_bug
def labels_shifted_left(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Pre-shifted labels (labels[i] = input_ids[i+1]); the loss shifts again."""
    mask = _mask(offsets, spans)
    return {"input_ids": ids, "labels": [ids[i + 1] if m and i + 1 < len(ids) else IGNORE for i, m in enumerate(mask)]}


@_bug
def mask_shifted_right(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The mask is one position late: header's last token trained, stop token not."""
    mask = _mask(offsets, spans)
    return _labels(ids, [False] + mask[:-1])


@_bug
def stop_token_untrained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The end-of-turn token is masked: the model never learns to stop."""
    return _labels(ids, _mask(offsets, [(k, a, b - len(stop)) for k, a, b in spans]))


@_bug
def everything_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """No masking at all (assistant_only_loss forgotten)."""
    return _labels(ids, [True] * len(ids))


@_bug
def tool_responses_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Tool results trained as if the model wrote them."""
    return _labels(ids, _mask(offsets, spans + _role_spans(tokenizer, messages, tools, {"tool"})))


@_bug
def last_turn_only(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Only the final assistant turn trained (the multi-turn silent failure)."""
    return _labels(ids, _mask(offsets, spans[-1:]))


@_bug
def earlier_turns_only(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Turn indexing off by one: the final assistant turn is dropped."""
    return _labels(ids, _mask(offsets, spans[:-1]))


@_bug
def header_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The assistant role header is trained along with the turn."""
    headers = []
    for k, a, b in spans:
        history = render(tokenizer, messages[:k], tools)
        headers.append((k, len(history), b))
    return _labels(ids, _mask(offsets, headers))


@_bug
def user_turns_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """User (and system) turns trained too."""
    return _labels(ids, _mask(offsets, spans + _role_spans(tokenizer, messages, tools, {"user", "system"})))


@_bug
def turn_ends_at_first_stop_string(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The turn end is searched as the first stop string after its start: content spelling it cuts the turn."""
    return _labels(ids, _mask(offsets, _turn_spans(tokenizer, messages, tools, stop, first_stop_in_text=True)))


@_bug
def tool_call_turns_masked(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Only final answers trained: turns that call tools are masked."""
    kept = [s for s in spans if not messages[s[0]].get("tool_calls")]
    return _labels(ids, _mask(offsets, kept))


@_bug
def last_content_token_untrained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Off-by-one at the end: the token before the stop token is masked."""
    mask = _mask(offsets, spans)
    for k, a, b in spans:
        stop_token = next(t for t, (x, y) in enumerate(offsets) if x < b <= y)
        before = max(t for t, (x, y) in enumerate(offsets) if y <= b - len(stop) or t < stop_token)
        if before < stop_token and mask[before] and offsets[before][0] >= a:
            mask[before] = False
    return _labels(ids, mask)


@_bug
def double_bos(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The rendering (which already starts with BOS) tokenized with add_special_tokens=True."""
    encoded = tokenizer(text, add_special_tokens=True)["input_ids"]
    extra = len(encoded) - len(ids)
    mask = [False] * extra + _mask(offsets, spans)
    return _labels(list(encoded), mask)


@_bug
def turns_tokenized_separately(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Each piece tokenized on its own and concatenated: merges across boundaries are lost."""
    pieces, mask = [], []
    cursor = 0
    for k, a, b in spans:
        for piece, trained in ((text[cursor:a], False), (text[a:b], True)):
            piece_ids = tokenizer(piece, add_special_tokens=False)["input_ids"] if piece else []
            pieces += piece_ids
            mask += [trained] * len(piece_ids)
        cursor = b
    tail = tokenizer(text[cursor:], add_special_tokens=False)["input_ids"] if text[cursor:] else []
    return _labels(pieces + tail, mask + [False] * len(tail))


@_bug
def glue_after_stop_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The newline after the stop token is trained (a convention; a bug under the default policy)."""
    return _labels(ids, _mask(offsets, [(k, a, b + 1) for k, a, b in spans]))


@_bug
def truncated_to_max_length(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """trl's default max_length=1024 applied silently: long conversations lose their last turns."""
    out = _labels(ids, _mask(offsets, spans))
    return {key: value[:1024] for key, value in out.items()}


@_bug
def pad_token_masked_as_eos(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """pad_token = eos_token, then labels[input_ids == pad_token_id] = -100 masks every stop token."""
    stop_id = tokenizer.convert_tokens_to_ids(stop)
    return _labels(ids, [m and t != stop_id for t, m in zip(ids, _mask(offsets, spans))])


@_bug
def content_located_by_search(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Each answer located with text.find(content): the first occurrence may be in an earlier message."""
    found = []
    for k, a, b in spans:
        content = messages[k].get("content") or ""
        at = text.find(content) if content else a
        found.append((k, at, at + (b - a)))
    return _labels(ids, _mask(offsets, found))


@_bug
def header_and_tool_prefix_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Two bugs at once: the assistant header trained (a convention some keep on purpose) and the
    first tokens of each tool message trained (the leak that breaks multi-turn RL)."""
    import os

    headers = [(k, len(render(tokenizer, messages[:k], tools)), b) for k, a, b in spans]
    mask = _mask(offsets, headers)
    for k, message in enumerate(messages):
        if message["role"] != "tool":
            continue
        # Where the tool message starts in the full text (Qwen closes a tool turn in a prefix render
        # that the next tool message then continues: the common part, not the prefix's length).
        start = len(os.path.commonprefix([render(tokenizer, messages[:k], tools), text]))
        first = [t for t, (x, y) in enumerate(offsets) if y > start and y > x][:3]
        for t in first:
            mask[t] = True
    return _labels(ids, mask)


def per_message_masker(tokenizer, stop: str):
    """Correct labels on ids tokenized piece by piece (each message's rendering, and within an
    assistant turn the header, the generated text and the glue on their own): the same text as
    the rendering, another segmentation where tokens would merge across the cuts."""

    def masker(messages, tools):
        text = render(tokenizer, messages, tools)
        spans = _turn_spans(tokenizer, messages, tools, stop)
        cuts = {0, len(text)}
        for k in range(1, len(messages)):
            cuts.add(_prefix_length(tokenizer, messages, tools, k) or 0)
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


PLANTED_BUGS = [
    labels_shifted_left,
    mask_shifted_right,
    stop_token_untrained,
    everything_trained,
    tool_responses_trained,
    last_turn_only,
    earlier_turns_only,
    header_trained,
    user_turns_trained,
    turn_ends_at_first_stop_string,
    tool_call_turns_masked,
    last_content_token_untrained,
    double_bos,
    turns_tokenized_separately,
    glue_after_stop_trained,
    truncated_to_max_length,
    pad_token_masked_as_eos,
    content_located_by_search,
    header_and_tool_prefix_trained,
]
