"""What the model sampled for one assistant turn, from the renders of the conversation up to it.

For assistant turn ``i`` the conversation ``M[:i]`` is rendered with the generation prompt (``P_i``)
and ``M[:i+1]`` without (``F_i``). The model emitted ``F_i[s_i:]``, where ``s_i`` is where ``F_i``
leaves ``P_i``, through the template's stop token after the turn's last content character (found
with a twin render, so a stop string spelled inside the content is never taken for the real one).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from harness.masking.oracle.render import _diff_region, _render, _text_region, _with_twin
from harness.masking.oracle.stops import _common_prefix_length, _last_stop, conversation_ending
from harness.masking.oracle.types import OracleError


@dataclass(frozen=True)
class _Sampled:
    header: str  # generation-prompt text that the turn's rendering repeats (e.g. "<|im_start|>assistant\n")
    header_start: int  # where ``header`` starts in F_i
    start: int  # in F_i
    stop: tuple[int, int] | None  # stop token span in F_i
    end: int  # end of the emitted text in F_i (after the stop token)
    full: str  # F_i
    tail_after_text: str  # F_i from the turn's last content character to ``end``
    lead_in: Callable[[], str | None]  # F_i from the previous message's last character to ``start``


def _sampled_turn(tokenizer, messages, tools, i, stop_strings, template_kwargs) -> _Sampled:
    base = _render(tokenizer, messages[:i], tools, template_kwargs)
    prompt = _render(tokenizer, messages[:i], tools, template_kwargs, generation_prompt=True)
    full = _render(tokenizer, messages[: i + 1], tools, template_kwargs)
    # Text a template writes only at the very end of a conversation (Phi-3.5's <|endoftext|>) is not
    # part of the history the generation prompt extends: cut it from both renders.
    ending = conversation_ending(base, prompt, stop_strings)
    base = base[: len(base) - len(ending)]
    if ending and full.endswith(ending):
        full = full[: len(full) - len(ending)]
    if not prompt.startswith(base):
        raise OracleError(f"message {i}: the generation prompt rewrites the conversation before it")
    twin_full = _render(tokenizer, _with_twin(messages[: i + 1], i), tools, template_kwargs)
    if ending and twin_full.endswith(ending):
        twin_full = twin_full[: len(twin_full) - len(ending)]
    region = _diff_region(full, twin_full)
    limit = region[0] if region is not None else len(full)
    gen_prompt = prompt[len(base) :]
    if full.startswith(base):
        # The usual case: the turn extends the history. Text the generation prompt forces but the
        # rendered turn does not repeat (DeepSeek-R1's "<think>\n") was not emitted by the model.
        shared = _common_prefix_length(full[len(base) :], gen_prompt, stop_strings)
        start = min(len(base) + shared, limit)
        if start < len(base):
            raise OracleError(f"message {i}: the turn's content changes how earlier messages render")
    else:
        # Rendering the turn already rewrites earlier turns (gpt-oss drops earlier analysis once a
        # final answer follows): the turn starts after the last generation prompt before its text.
        at = full.rfind(gen_prompt, 0, limit) if gen_prompt else -1
        if at < 0:
            raise OracleError(f"message {i}: generation prompt {gen_prompt!r} not found before the turn's text")
        start = at + len(gen_prompt)
    header = gen_prompt[: start - len(base)] if full.startswith(base) else gen_prompt
    header_start = start - len(header)
    text_end = region[1] if region is not None else start
    stop = _last_stop(full, stop_strings, text_end, len(full))
    end = stop[1] if stop is not None else len(full.rstrip())
    end = max(end, text_end)
    return _Sampled(
        header=header,
        header_start=header_start,
        start=start,
        stop=stop,
        end=end,
        full=full,
        tail_after_text=full[text_end:end],
        lead_in=functools.partial(_lead_in, tokenizer, messages, tools, i, full, start, template_kwargs),
    )


def _lead_in(tokenizer, messages, tools, i, full, start, template_kwargs) -> str | None:
    if i == 0:
        return None
    region = _text_region(tokenizer, messages[: i + 1], i - 1, tools, template_kwargs, full)
    return full[region[1] : start] if region is not None and region[1] <= start else None
