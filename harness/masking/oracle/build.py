"""``build_oracle``: render the conversation, locate each assistant turn, and label every token."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.oracle.closes import text_close
from harness.masking.oracle.judgement import Oracle
from harness.masking.oracle.labels import _char_requirements, _expected_from, _stop_token_indices, _trained_turns
from harness.masking.oracle.locate import MessageStarts, _located_by_prefix, _located_by_regions, _message_regions
from harness.masking.oracle.render import _render
from harness.masking.oracle.sampled import _Sampled, _sampled_turn
from harness.masking.oracle.stops import _control_string_hazards, _openers, _special_hits, _stop_strings, conversation_ending
from harness.masking.oracle.locate import _glue_end
from harness.masking.oracle.types import Hazard, TurnSpan
from harness.masking.policy import Policy


def build_oracle(
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    policy: Policy = Policy(),
    template_kwargs: Mapping[str, Any] | None = None,
) -> Oracle:
    """Compute the expected label of every token of the rendered conversation under ``policy``."""
    template_kwargs = dict(template_kwargs or {})
    messages = [dict(m) for m in messages]
    tools = [dict(t) for t in tools] if tools else None
    stop_strings = _stop_strings(tokenizer)
    text = _render(tokenizer, messages, tools, template_kwargs)
    hazards = _control_string_hazards(messages, stop_strings)
    turns = _locate_turns(tokenizer, messages, tools, text, stop_strings, template_kwargs, hazards)

    input_ids, offsets = hf.encode_with_offsets(tokenizer, text)
    trained_turns = _trained_turns(turns, policy)
    ending = _conversation_end(tokenizer, messages, tools, text, turns, stop_strings, template_kwargs)
    requirements = _char_requirements(text, trained_turns, policy, ending)
    expected = _expected_from(text, offsets, requirements, trained_turns, hazards)
    return Oracle(
        messages=messages,
        tools=tools,
        text=text,
        input_ids=input_ids,
        offsets=offsets,
        turns=turns,
        expected=expected,
        stop_tokens=_stop_token_indices(offsets, trained_turns),
        hazards=hazards,
        ending=ending,
        policy=policy,
        requirements=requirements,
        message_locator=MessageStarts(tokenizer, messages, tools, text, template_kwargs),
    )


def _locate_turns(tokenizer, messages, tools, text, stop_strings, template_kwargs, hazards: list[Hazard]) -> list[TurnSpan]:
    """Each assistant turn's span in ``text``; appends each turn's hazards to ``hazards``."""
    turns: list[TurnSpan] = []
    eos = getattr(tokenizer, "eos_token", None)
    eos = eos if isinstance(eos, str) and eos in stop_strings else None
    regions = None  # per-message regions of ``text`` (a twin render each): only once a turn is rewritten
    for i in (k for k, m in enumerate(messages) if m["role"] == "assistant"):
        sampled = _sampled_turn(tokenizer, messages, tools, i, stop_strings, template_kwargs, eos)
        span = _located_by_prefix(text, sampled)
        if span is None:
            if regions is None:
                regions = _message_regions(tokenizer, messages, tools, text, template_kwargs)
            span = _located_by_regions(text, sampled, i, regions, stop_strings)
        span = dataclasses.replace(span, message_index=i)
        if sampled.stop is None and i + 1 < len(messages):
            first_header = turns[0].header_start if turns else span.header_start
            span = _stop_written_after(text, span, stop_strings, sampled, first_header)
            if span.stop_start >= span.end:  # still no stop token: the template may close the turn with text
                span = dataclasses.replace(
                    span, optional_after=text_close(tokenizer, messages, tools, i, text, span.end, template_kwargs))
        hazards.extend(_turn_hazards(text, span, sampled))
        turns.append(span)
    return _with_optional_after(text, turns, stop_strings, eos, messages)


def _with_optional_after(text: str, turns: list[TurnSpan], stop_strings, eos: str | None, messages) -> list[TurnSpan]:
    """Turns not ended by the end-of-sequence token and followed at once by a special token that the rendering never
    writes before the first assistant turn (GLM's ``<|observation|>``, Gemma 4's ``<|tool_response>``, which the model
    samples to stop after a call and the template writes as the tool results' opener): that token may be trained or
    not. A token that also opens the messages before (gpt-oss ``<|start|>``, Llama's ``<|start_header_id|>``) is the
    next message's header, and one after the end-of-sequence token (DeepSeek's ``<｜tool▁outputs▁begin｜>``) the tool
    message's: untrained."""
    first_header = turns[0].header_start if turns else 0
    longest = max((len(s) for s in stop_strings), default=0)
    updated = []
    for turn in turns:
        hits = _special_hits(text, stop_strings, turn.end, min(len(text), turn.end + longest))
        ended = eos is not None and turn.stop_start < turn.end and text[turn.stop_start : turn.end] == eos
        if hits and hits[0][0] == turn.end and not ended:
            token = text[hits[0][0] : hits[0][1]]
            places, at = [], text.find(token)
            while at >= 0:
                places.append(at)
                at = text.find(token, at + 1)
            # Spelled inside a message before the first turn (a control string in a content) is no place the template
            # writes it.
            spelled = sum(json.dumps(m, ensure_ascii=False).count(token) for m in messages[: turns[0].message_index])
            if len([place for place in places if place < first_header]) <= spelled:
                turn = dataclasses.replace(turn, optional_after=hits[0], glue_end=max(turn.glue_end, hits[0][1]))
        updated.append(turn)
    return updated


def _stop_written_after(text: str, span: TurnSpan, stop_strings, sampled, first_header: int) -> TurnSpan:
    """A turn whose rendering ends without a stop token, but which the template closes once another
    message follows (Apertus' ``<|assistant_end|>``; GLM's next ``<|user|>`` / ``<|observation|>``, which the
    model samples as its stop): that special token, right after the turn's text, is its stop. One that
    also opens a message before the first assistant turn (GLM's ``<|user|>``) is the next turn's header as
    much as this one's stop: either label."""
    at = span.end
    while at < len(text) and text[at].isspace():
        at += 1
    longest = max((len(s) for s in stop_strings), default=0)
    hits = _special_hits(text, stop_strings, at, min(len(text), at + longest))
    if not hits or hits[0][0] != at:
        return span
    stop = text[hits[0][0] : hits[0][1]]
    if stop in _openers(sampled.header, stop_strings):
        return span  # the next assistant turn's header
    end = hits[0][1]
    return dataclasses.replace(span, stop_start=at, end=end, glue_end=_glue_end(text, end, len(text)),
                               sampled_text=span.sampled_text + text[span.end : end],
                               stop_optional=_opens_a_message(text, stop, first_header, stop_strings),
                               glue_before_stop=(span.end, at) if span.end < at else None)


def _opens_a_message(text: str, stop: str, first_header: int, stop_strings) -> bool:
    """Whether ``stop`` opens a message before the first assistant turn (GLM's ``<|user|>``: it follows
    another special token or the start), rather than closing one (``<|im_end|>`` after a user's text)."""
    at = text.find(stop)
    if not 0 <= at < first_header:
        return False
    before = text[:at].rstrip()
    return not before or any(before.endswith(s) for s in stop_strings)


def _turn_hazards(text: str, span: TurnSpan, sampled: _Sampled) -> list[Hazard]:
    """``history_rewrite`` when the turn is rendered otherwise than sampled; ``no_stop_token`` when it has none."""
    hazards = []
    rendered = text[span.start : span.end]
    if rendered != span.sampled_text:
        hazards.append(
            Hazard(
                "history_rewrite",
                span.message_index,
                f"the template renders this turn differently from what the model sampled: sampled "
                f"{span.sampled_text!r}, rendered {rendered!r}",
            )
        )
    if sampled.context is not None:
        prompt_side, training_side = sampled.context
        hazards.append(
            Hazard(
                "context_differs",
                span.message_index,
                f"the inference prompt ends {prompt_side[-120:]!r} where the training rendering has "
                f"{training_side[-120:]!r} before the generated text: the model is trained in another context "
                "than it sampled in (the generated text is judged)",
            )
        )
    if span.stop_start >= span.end:
        hazards.append(Hazard("no_stop_token", span.message_index, "the template writes no special token to end this turn"))
    return hazards


def _conversation_end(tokenizer, messages, tools, text, turns, stop_strings, template_kwargs) -> tuple[int, int]:
    """Characters the template writes only after a final assistant turn (Phi-3.5's ``<|endoftext|>``)."""
    if messages[-1]["role"] != "assistant":
        return (0, 0)
    prompt = _render(tokenizer, messages, tools, template_kwargs, generation_prompt=True)
    tail = conversation_ending(text, prompt, stop_strings)
    # Never inside the last turn (gpt-oss ends a final turn with <|return|>, a non-final one with <|end|>).
    return (max(len(text) - len(tail), turns[-1].glue_end), len(text))
