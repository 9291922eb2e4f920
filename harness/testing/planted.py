"""Planted masking bugs, each the shape of a real-world one (labels shifted by one, the stop token untrained, tool
results trained, only the last turn, a header trained, turns found by searching the text, ...).

Each is a factory ``bug(tokenizer, stop) -> masker`` built on the independent correct masker's turn spans
(``harness.testing.reference``); ``PLANTED_BUGS`` lists them. A check of maskers must fail every one.
"""

from __future__ import annotations

from harness.adapters.transformers import encode_with_offsets, render
from harness.testing.reference import IGNORE, labels_of, mask_of_spans, role_spans, stop_ending_at, stops_of, turn_spans


def _bug(transform):
    """A planted bug: ``transform(tokenizer, stop, messages, tools, text, ids, offsets, mask) -> (ids, labels)``."""

    def make(tokenizer, stop):
        def masker(messages, tools):
            text = render(tokenizer, messages, tools)
            ids, offsets = encode_with_offsets(tokenizer, text)
            spans = turn_spans(tokenizer, messages, tools, stop)
            return transform(tokenizer, stop, messages, tools, text, ids, offsets, spans)

        make.__name__ = transform.__name__
        return masker

    make.__name__ = transform.__name__
    return make


@_bug
def labels_shifted_left(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Pre-shifted labels (labels[i] = input_ids[i+1]); the loss shifts again."""
    mask = mask_of_spans(offsets, spans)
    return {"input_ids": ids, "labels": [ids[i + 1] if m and i + 1 < len(ids) else IGNORE for i, m in enumerate(mask)]}


@_bug
def mask_shifted_right(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The mask is one position late: header's last token trained, stop token not."""
    mask = mask_of_spans(offsets, spans)
    return labels_of(ids, [False] + mask[:-1])


@_bug
def stop_token_untrained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The end-of-turn token is masked: the model never learns to stop."""
    return labels_of(ids, mask_of_spans(offsets, [(k, a, b - len(stop_ending_at(text, b, stop))) for k, a, b in spans]))


@_bug
def everything_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """No masking at all (assistant_only_loss forgotten)."""
    return labels_of(ids, [True] * len(ids))


@_bug
def tool_responses_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Tool results trained as if the model wrote them."""
    return labels_of(ids, mask_of_spans(offsets, spans + role_spans(tokenizer, messages, tools, {"tool"})))


@_bug
def last_turn_only(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Only the final assistant turn trained (the multi-turn silent failure)."""
    return labels_of(ids, mask_of_spans(offsets, spans[-1:]))


@_bug
def earlier_turns_only(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Turn indexing off by one: the final assistant turn is dropped."""
    return labels_of(ids, mask_of_spans(offsets, spans[:-1]))


@_bug
def header_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The assistant role header is trained along with the turn."""
    headers = []
    for k, a, b in spans:
        history = render(tokenizer, messages[:k], tools)
        headers.append((k, len(history), b))
    return labels_of(ids, mask_of_spans(offsets, headers))


@_bug
def user_turns_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """User (and system) turns trained too."""
    return labels_of(ids, mask_of_spans(offsets, spans + role_spans(tokenizer, messages, tools, {"user", "system"})))


@_bug
def turn_ends_at_first_stop_string(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The turn end is searched as the first stop string after its start: content spelling it cuts the turn."""
    return labels_of(ids, mask_of_spans(offsets, turn_spans(tokenizer, messages, tools, stop, first_stop_in_text=True)))


@_bug
def tool_call_turns_masked(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Only final answers trained: turns that call tools are masked."""
    kept = [s for s in spans if not messages[s[0]].get("tool_calls")]
    return labels_of(ids, mask_of_spans(offsets, kept))


@_bug
def last_content_token_untrained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Off-by-one at the end: the token before the stop token is masked."""
    mask = mask_of_spans(offsets, spans)
    for k, a, b in spans:
        stop_token = next(t for t, (x, y) in enumerate(offsets) if x < b <= y)
        before = max(t for t, (x, y) in enumerate(offsets) if y <= b - len(stop_ending_at(text, b, stop)) or t < stop_token)
        if before < stop_token and mask[before] and offsets[before][0] >= a:
            mask[before] = False
    return labels_of(ids, mask)


@_bug
def double_bos(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The rendering (which already starts with BOS) tokenized with add_special_tokens=True."""
    encoded = tokenizer(text, add_special_tokens=True)["input_ids"]
    extra = len(encoded) - len(ids)
    mask = [False] * extra + mask_of_spans(offsets, spans)
    return labels_of(list(encoded), mask)


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
    return labels_of(pieces + tail, mask + [False] * len(tail))


@_bug
def glue_after_stop_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """The newline after the stop token is trained (a convention; a bug under the default policy)."""
    return labels_of(ids, mask_of_spans(offsets, [(k, a, b + 1) for k, a, b in spans]))


@_bug
def truncated_to_max_length(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """trl's default max_length=1024 applied silently: long conversations lose their last turns."""
    out = labels_of(ids, mask_of_spans(offsets, spans))
    return {key: value[:1024] for key, value in out.items()}


@_bug
def pad_token_masked_as_eos(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """pad_token = eos_token, then labels[input_ids == pad_token_id] = -100 masks every stop token."""
    stop_ids = {tokenizer.convert_tokens_to_ids(s) for s in stops_of(stop)}
    return labels_of(ids, [m and t not in stop_ids for t, m in zip(ids, mask_of_spans(offsets, spans))])


@_bug
def content_located_by_search(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Each answer located with text.find(content): the first occurrence may be in an earlier message."""
    found = []
    for k, a, b in spans:
        content = messages[k].get("content") or ""
        at = text.find(content) if content else a
        found.append((k, at, at + (b - a)))
    return labels_of(ids, mask_of_spans(offsets, found))


@_bug
def header_and_tool_prefix_trained(tokenizer, stop, messages, tools, text, ids, offsets, spans):
    """Two bugs at once: the assistant header trained (a convention some keep on purpose) and the
    first tokens of each tool message trained (the leak that breaks multi-turn RL)."""
    import os

    headers = [(k, len(render(tokenizer, messages[:k], tools)), b) for k, a, b in spans]
    mask = mask_of_spans(offsets, headers)
    for k, message in enumerate(messages):
        if message["role"] != "tool":
            continue
        # Where the tool message starts in the full text (Qwen closes a tool turn in a prefix render
        # that the next tool message then continues: the common part, not the prefix's length).
        start = len(os.path.commonprefix([render(tokenizer, messages[:k], tools), text]))
        first = [t for t, (x, y) in enumerate(offsets) if y > start and y > x][:3]
        for t in first:
            mask[t] = True
    return labels_of(ids, mask)


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
