"""Which chat role each token of a batch sits in, from the chat template's own role headers.

For batches of token ids alone (a trainer's ``input_ids``, a collated SFT batch), where there is no conversation
to render (``Oracle.token_roles`` attributes roles of a conversation it rendered). ``role_headers`` finds the text
the template writes to open each role's turn; ``token_roles`` gives every token the role whose header most recently
started; ``id_roles`` does both steps from token ids.
"""

from __future__ import annotations

from collections.abc import Sequence

SENTINEL = "QZXQZ"


def _header_cases() -> dict[str, tuple[list[dict], dict, list[dict] | None]]:
    """``role -> (history, message, tools)``: the message of that role, whose content is the sentinel, after a history."""
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}
    tool = [{"type": "function", "function": {"name": "f", "description": "f.", "parameters": {
        "type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}]
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    return {
        "system": ([], {"role": "system", "content": SENTINEL}, None),
        "user": (history, {"role": "user", "content": SENTINEL}, None),
        "assistant": (history + [{"role": "user", "content": "c"}], {"role": "assistant", "content": SENTINEL}, None),
        "tool": (
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": "", "tool_calls": [call]}],
            {"role": "tool", "tool_call_id": "call_1", "name": "f", "content": SENTINEL},
            tool,
        ),
    }


def role_headers(tokenizer) -> list[tuple[str, str]]:
    """``[(header, role)]``, longest first: the text the chat template writes to open each role's turn.

    Each is found by rendering a turn whose content is a sentinel after a history and taking what the template
    wrote between the history and the sentinel: up to the end of its first line or of its last special token,
    whichever is later (Qwen's tool header ``<|im_start|>user\\n<tool_response>`` differs from its user header)."""
    from harness.adapters.transformers import render, special_token_strings

    specials = special_token_strings(tokenizer)
    headers: dict[str, str] = {}
    for role, (before, message, tools) in _header_cases().items():
        try:
            full = render(tokenizer, before + [message], tools)
            base = render(tokenizer, before, tools) if before else ""
        except Exception:  # the template does not take this role (Gemma has no system or tool role)
            continue
        k = 0
        while k < min(len(full), len(base)) and full[k] == base[k]:
            k += 1
        at = full.find(SENTINEL, k)
        if at < 0:
            continue
        segment = full[k:at].lstrip()
        if not segment:
            continue
        line_end = segment.find("\n") if "\n" in segment else len(segment)
        special_end = max((segment.rfind(s) + len(s) for s in specials if s in segment), default=0)
        header = segment[: max(line_end, special_end)]
        if header.strip() and header not in headers.values():
            headers[role] = header
    return sorted(((h, r) for r, h in headers.items()), key=lambda item: -len(item[0]))


def token_roles(token_texts: Sequence[str], headers: Sequence[tuple[str, str]], start: str = "other") -> list[str]:
    """The role of each token: the role whose header most recently started at or before the token's first
    character (``start`` before any header; GRPO completions start in the assistant's turn)."""
    text = "".join(token_texts)
    starts: list[tuple[int, str]] = []
    position = 0
    while position < len(text):
        for header, role in headers:
            if text.startswith(header, position):
                starts.append((position, role))
                position += len(header)
                break
        else:
            position += 1
    roles, current, next_start, offset = [], start, 0, 0
    for piece in token_texts:
        while next_start < len(starts) and starts[next_start][0] < offset + max(len(piece), 1):
            current = starts[next_start][1]
            next_start += 1
        roles.append(current)
        offset += len(piece)
    return roles


def id_roles(tokenizer, ids: Sequence[int], headers: Sequence[tuple[str, str]] | None = None,
             start: str = "other") -> list[str]:
    """``token_roles`` of token ids, each decoded on its own; ``headers`` default to ``role_headers(tokenizer)``."""
    from harness.adapters.transformers import decode_token

    if headers is None:
        headers = role_headers(tokenizer)
    return token_roles([decode_token(tokenizer, int(t)) for t in ids], headers, start)
