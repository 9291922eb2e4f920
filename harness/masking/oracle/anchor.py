"""Where the generated text starts when the training rendering does not extend the inference prompt.

The inference prompt ``P_i`` (history with the generation prompt) and the rendering with the turn
``F_i`` can differ before the generated text: a template that writes the assistant header at the end
of the previous turn (the generation prompt adds nothing) and puts its own indentation between that
header and the content only when the content follows; or whitespace that differs on either side of
the header. The prompt's tail that the rendering lacks is then looked for in the rendering,
whitespace aside: the generated text starts after it. Whitespace the rendering has there that the
prompt has not is either trained or not (``loose``), and the difference is a ``context_differs``
hazard showing both sides.
"""

from __future__ import annotations

from harness.masking.oracle.stops import _common_prefix_length, _outside_special
from harness.masking.oracle.types import OracleError


def _whitespace_end(text: str, at: int, limit: int) -> int:
    """End of the run of whitespace starting at ``at`` (not beyond ``limit``)."""
    while at < limit and text[at].isspace():
        at += 1
    return at


def _non_space(text: str, lo: int, hi: int) -> tuple[str, list[int]]:
    """The non-whitespace characters of ``text[lo:hi]`` and the position of each in ``text``."""
    positions = [k for k in range(lo, hi) if not text[k].isspace()]
    return "".join(text[k] for k in positions), positions


def _anchored(prompt: str, full: str, limit: int, stop_strings, i: int):
    """``(header, start, loose, context)`` of turn ``i`` when ``full`` does not start with the prompt's history.

    ``header``: the prompt's tail as the rendering writes it; ``start``: the first generated
    character; ``loose``: the whitespace span before ``start`` that the prompt writes otherwise;
    ``context``: (the prompt's tail, the rendering's text there).
    """
    common = _common_prefix_length(prompt, full, stop_strings)
    tail = prompt[common:]
    key = "".join(ch for ch in tail if not ch.isspace())
    seen, positions = _non_space(full, common, limit)
    if not key:
        header_start = header_end = common
    else:
        at = seen.rfind(key)
        matched = len(key) if at >= 0 else _matched_suffix(seen, key)
        if at < 0 and matched and _outside_special(full, positions[len(seen) - matched], stop_strings) != positions[len(seen) - matched]:
            matched = 0  # only the end of a special token matches ("<|START_RESPONSE|>" vs "<|END_THINKING|>")
        if matched == 0:
            # None of the prompt's tail is there (DeepSeek-R1 closes tool outputs only at the end of a
            # prompt): what the rendering has after the shared history, whitespace aside, is the turn's.
            if common > limit:
                raise OracleError(
                    f"message {i}: the generated text cannot be located: the inference prompt ends {tail[-80:]!r}, "
                    f"and the training rendering has none of it before the turn's text ({full[:limit][-80:]!r})"
                )
            start = _whitespace_end(full, common, limit)
            return "", start, (common, start), (tail, full[common:start])
        if at < 0:
            at = len(seen) - matched
        header_start, header_end = positions[at], positions[at + matched - 1] + 1
    # The prompt's own trailing whitespace, where the rendering repeats it, ends the header.
    prompt_space = tail[len(tail.rstrip()) :] if key else tail
    if prompt_space and full.startswith(prompt_space, header_end):
        header_end += len(prompt_space)
    start = _whitespace_end(full, header_end, limit)
    return full[header_start:header_end], start, (header_end, start), (tail, full[common:start])


def _matched_suffix(seen: str, key: str) -> int:
    """How many characters of ``key`` end ``seen`` (its longest suffix that is a suffix of ``seen``)."""
    n = 0
    while n < min(len(seen), len(key)) and seen[len(seen) - 1 - n] == key[len(key) - 1 - n]:
        n += 1
    return n


def _header_proper_length(header: str) -> int:
    """Length of the header proper: through its first line break after text (Apriel's header opens with one) and the
    whitespace after it.

    What the generation prompt writes after that (Qwen3's ``<think>\n\n</think>\n\n`` with
    thinking off) is text it forces, not the role header. A header without a line break
    (gpt-oss ``<|start|>assistant``, Aya, DeepSeek) is all header.
    """
    newline = header.find("\n", len(header) - len(header.lstrip()))
    if newline < 0:
        return len(header)
    end = newline
    while end < len(header) and header[end].isspace():
        end += 1
    return end
