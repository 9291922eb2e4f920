"""What the model sampled for one assistant turn, from the renders of the conversation up to it.

For assistant turn ``i`` the conversation ``M[:i]`` is rendered with the generation prompt (``P_i``)
and ``M[:i+1]`` without (``F_i``). The model emitted ``F_i[s_i:]``, where ``s_i`` is where ``F_i``
leaves ``P_i``, through the template's stop token after the turn's last content character (found
with a twin render, so a stop string spelled inside the content is never taken for the real one).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from harness.adapters import transformers as hf
from harness.masking.oracle.render import (_diff_region, _render, _text_region, _twin_json, _with_content_mark,
                                           _with_twin)
from harness.masking.oracle.anchor import _anchored, _header_proper_length, _whitespace_end
from harness.masking.oracle.stops import (_common_prefix_length, _openers, _outside_special, _stop_strings,
                                          _turn_stop, conversation_ending)
from harness.masking.conversation import REASONING_FIELDS
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
    loose: tuple[int, int] | None = None  # whitespace before ``start`` that differs from the prompt's: either label
    context: tuple[str, str] | None = None  # (inference prompt side, training side) where they differ


def _sampled_turn(tokenizer, messages, tools, i, stop_strings, template_kwargs, eos: str | None = None) -> _Sampled:
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
    if full == base and len(prompt) > len(base) and i + 1 < len(messages):
        # The template writes this turn only once another message follows (Nemotron Nano v2 drops an empty final
        # answer): its prefix render says nothing, so the turn is found in the whole rendering, after the header.
        return _Sampled(header=prompt[len(base) :], header_start=len(base), start=len(prompt), stop=None,
                        end=len(prompt), full=prompt, tail_after_text="", lead_in=lambda: None)
    twin_full = _render(tokenizer, _with_twin(messages[: i + 1], i), tools, template_kwargs)
    if ending and twin_full.endswith(ending):
        twin_full = twin_full[: len(twin_full) - len(ending)]
    region = _diff_region(full, twin_full)
    if (region is None and _says_nothing(messages[i])) or _empty_calls(messages[i]):
        # Nothing to twin: no text, or calls with empty arguments (Solar's "{}" between its call tokens; GigaChat 3
        # writes the call after the content's <|message_sep|>, where a twin of the content alone would end the turn).
        region = _joined(region, _empty_turn_region(tokenizer, messages[: i + 1], tools, i, full, ending,
                                                    template_kwargs))
    limit = region[0] if region is not None else len(full)
    gen_prompt = prompt[len(base) :]
    loose = None  # (start, end): whitespace the training rendering has where the inference prompt has other
    context = None  # (prompt side, training side) where the two differ before the generated text
    hi = len(full)  # where the turn's rendering ends: before text the template appends after the last message
    if full.startswith(base):
        # The usual case: the turn extends the history. Text the generation prompt forces but the
        # rendered turn does not repeat (DeepSeek-R1's "<think>\n") was not emitted by the model.
        shared = _common_prefix_length(full[len(base) :], gen_prompt, stop_strings)
        start = min(len(base) + shared, limit)
        if start < len(base):
            raise OracleError(f"message {i}: the turn's content changes how earlier messages render")
        header = gen_prompt[:shared]
        if limit < len(base) + shared and _whole_tokens(tokenizer, gen_prompt, limit - len(base), shared):
            # The content opens with text the prompt forces (a content spelling "<think>\n" after a prompt ending
            # "<think>\n"): prompt or sample, it is either; the turn is judged from the prompt's end.
            header = gen_prompt[: limit - len(base)]
            loose, start = (limit, len(base) + shared), len(base) + shared
        elif _content_spells_forced(messages[i], gen_prompt, shared):
            # The same, where the content's opening is a control string the twin keeps (a content "<think>zrprw"
            # after a prompt ending "<think>\n"): the forced text after the header proper is either.
            proper = _header_proper_length(gen_prompt)
            header, loose = gen_prompt[:proper], (len(base) + proper, start)
        elif shared < len(gen_prompt) and not gen_prompt[shared:].strip():
            # The prompt ends with whitespace the training rendering does not repeat as such.
            run_end = _whitespace_end(full, start, limit)
            context = (gen_prompt[shared:], full[start:run_end])
            loose, start = (start, run_end), run_end
    else:
        # Only after the text of the message before the turn: an earlier turn's header is not this turn's (Apertus
        # writes a call after the previous calls' results, inside the same assistant block, and moves their "]").
        after = _previous_text_end(tokenizer, messages, tools, i, full, template_kwargs) if gen_prompt else 0
        at = full.rfind(gen_prompt, after, limit) if gen_prompt else -1
        if at >= 0:
            # Rendering the turn rewrites earlier turns (gpt-oss drops earlier analysis once a final
            # answer follows): the turn starts after the last generation prompt before its text.
            header, start = gen_prompt, at + len(gen_prompt)
            if base.startswith(full[:at]) and len(base) > at:
                # The prompt has text at its end that the rendering lacks before the turn (an instruction
                # the template writes after the last message): the model sampled in another context.
                context = (base[at:] + gen_prompt, gen_prompt)
                appended = base[at:]
                if (full.endswith(appended) and full.count(appended) == 1
                        and len(full) - len(base) + at >= (region[1] if region else start)):
                    # Written after the last message on every render (Command R's instruction turn), so only once:
                    # never sampled. Text written more often is the previous message's close, which the template
                    # leaves out before an assistant turn (Bielik's <|im_end|> after tool outputs): the turn's stop.
                    hi = len(full) - len(base) + at
        else:
            header, start, loose, context = _anchored(prompt, full, limit, stop_strings, i)
    header_start = start - len(header) if loose is None else loose[0] - len(header)
    text_end = region[1] if region is not None else start
    # Where the previous turn writes the header (no generation prompt), the rendering may go on with the next turn's
    # opening tokens (an always-open header): the turn ends before them. A turn that follows its own generation
    # prompt runs to the last stop (gpt-oss writes analysis, <|end|>, <|start|>assistant, then the call).
    openers = frozenset() if gen_prompt else _openers(_after_last_message(tokenizer, messages, tools, i, prompt,
                                                                          template_kwargs), stop_strings, eos)
    stop = _turn_stop(full, stop_strings, text_end, hi, preferred=eos, openers=openers)
    end = stop[1] if stop is not None else len(full[:hi].rstrip())
    end = max(end, text_end)
    if stop is None and end < hi:
        # The rendering ends with whitespace: the content's own ("Sunny.\n\n ", which a twin keeps) is the model's.
        end = max(end, _content_end(tokenizer, messages, tools, i, full, template_kwargs, hi))
    return _Sampled(
        header=header,
        header_start=header_start,
        start=start,
        stop=stop,
        end=end,
        full=full,
        tail_after_text=full[text_end:end],
        loose=loose,
        context=context,
        lead_in=functools.partial(_lead_in, tokenizer, messages, tools, i, full, start, template_kwargs),
    )


def _content_end(tokenizer, messages, tools, i, full: str, template_kwargs, hi: int) -> int:
    """Where turn ``i``'s content ends in ``full`` (its render, up to ``hi``), trailing whitespace included: where a
    mark after it is written; 0 where the content ends with no whitespace or the mark shows nothing."""
    content = messages[i].get("content")
    if not isinstance(content, str) or content == content.rstrip():
        return 0
    try:
        marked = _render(tokenizer, _with_content_mark(messages[: i + 1], i), tools, template_kwargs)
        region = _diff_region(full, marked)
    except OracleError:
        return 0
    return region[0] if region is not None and region[0] <= hi else 0


def _previous_text_end(tokenizer, messages, tools, i, full: str, template_kwargs) -> int:
    """Where in ``full`` (the render of ``messages[:i+1]``) the text of the last message before turn ``i`` that has
    one ends; 0 where none has."""
    for k in range(i - 1, -1, -1):
        region = _text_region(tokenizer, messages[: i + 1], k, tools, template_kwargs, full)
        if region is not None:
            return region[1]
    return 0


def _content_spells_forced(message, gen_prompt: str, shared: int) -> bool:
    """Whether the message's content opens with what the prompt forces after its header proper, as far as the
    rendering repeats it (``<think>`` of ``<think>\n``), leading whitespace aside (templates strip contents)."""
    forced = gen_prompt[_header_proper_length(gen_prompt) : shared]
    content = message.get("content")
    return bool(forced.strip()) and isinstance(content, str) and content.lstrip().startswith(forced)


def _whole_tokens(tokenizer, text: str, a: int, b: int) -> bool:
    """Whether ``text[a:b]`` is whole tokens of ``text`` (``<think>`` of ``<think>\n``, not the ``<`` it shares
    with a content opening ``<answer>``)."""
    bounds = {x for span in hf.encode_with_offsets(tokenizer, text)[1] for x in span}
    return a in bounds and b in bounds


def _after_last_message(tokenizer, messages, tools, i, prompt: str, template_kwargs) -> str:
    """What ``prompt`` (no generation prompt of its own) writes after the text of its last message: where the next
    turn's opening tokens are (a call's closing tokens earlier in the prompt are none: Gemma 4's ``<tool_call|>``)."""
    region = _text_region(tokenizer, messages[:i], i - 1, tools, template_kwargs, prompt) if i else None
    return prompt[region[1] :] if region is not None else prompt[-300:]


def _says_nothing(message) -> bool:
    """A turn with no text, no reasoning and no call: only then is its place marked by a content of its own (a call
    with empty arguments or a reasoning-only turn has text to locate; marking it moves the turn elsewhere)."""
    return not message.get("tool_calls") and not any(message.get(field) for field in REASONING_FIELDS)


def _empty_calls(message) -> list[int]:
    """Indices of the message's tool calls whose arguments a twin leaves as they are: empty (``{}``, ``"{}"``, ``""``,
    None) or holding only nulls and empty containers (``{"goir": null}``)."""
    empty = []
    for k, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or call
        arguments = function.get("arguments") if isinstance(function, dict) else None
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else None
            except ValueError:
                continue
        if not arguments or _twin_json(arguments) == arguments:
            empty.append(k)
    return empty


def _joined(region: tuple[int, int] | None, other: tuple[int, int] | None) -> tuple[int, int] | None:
    """The smallest region holding both (either may be None)."""
    if region is None or other is None:
        return region or other
    return min(region[0], other[0]), max(region[1], other[1])


def _empty_turn_region(tokenizer, messages, tools, i, text, ending, template_kwargs) -> tuple[int, int] | None:
    """Where turn ``i``'s empty parts (nothing to twin) would have their text in ``text``, the render of ``messages``
    less its conversation ``ending``: a one-character content marks a turn that says nothing (so it is not searched
    for up to the end of the rendering: R7B always ends with an open header), a key in their arguments calls with
    empty ones."""
    try:
        marked = _render(tokenizer, _marked_empty(messages, i), tools, template_kwargs)
    except OracleError:
        return None
    if ending and marked.endswith(ending):
        marked = marked[: len(marked) - len(ending)]
    return _empty_at(tokenizer, text, marked)


def _empty_at(tokenizer, text: str, marked: str) -> tuple[int, int] | None:
    """The region where ``marked`` (a render with marks) differs from ``text``, its start moved back to the start of
    a special token it would cut (GLM's ``</tool_call>`` shares its ``<`` with the mark's ``<arg_key>``)."""
    region = _diff_region(text, marked)
    if region is None:
        return None
    at = _outside_special(text, region[0], _stop_strings(tokenizer))
    return (at, max(at, region[1]))


def _marked_empty(messages, i) -> list[dict]:
    """``messages`` with turn ``i``'s empty parts marked: a one-character content where it says nothing, else a key in
    the arguments of each call that has none (the turn's text ends where the last is written)."""
    if _says_nothing(messages[i]):
        return _with_content_mark(messages, i)
    marked = [dict(m) for m in messages]
    calls = [dict(call) for call in messages[i]["tool_calls"]]
    for k in _empty_calls(messages[i]) or [len(calls) - 1]:
        function = dict(calls[k].get("function") or {})
        function["arguments"] = '{"7": 7}' if isinstance(function.get("arguments"), str) else {"7": 7}
        calls[k] = {**calls[k], "function": function}
    marked[i]["tool_calls"] = calls
    return marked


def _lead_in(tokenizer, messages, tools, i, full, start, template_kwargs) -> str | None:
    if i == 0:
        return None
    region = _text_region(tokenizer, messages[: i + 1], i - 1, tools, template_kwargs, full)
    return full[region[1] : start] if region is not None and region[1] <= start else None
