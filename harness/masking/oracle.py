"""The ground truth: which characters (and so which tokens) of a rendered conversation the model generated.

How it works, for a conversation ``M`` rendered by the tokenizer's chat template into ``R``:

1. **What was sampled.** For each assistant turn ``i`` the oracle renders ``M[:i]`` with the
   generation prompt (``P_i``) and ``M[:i+1]`` without (``F_i``). The model emitted
   ``F_i[s_i:]`` where ``s_i`` is where ``F_i`` leaves ``P_i`` (text the generation prompt forces,
   such as DeepSeek-R1's ``<think>\\n``, is not the model's). The emitted text ends at the
   template's stop token: the last special token of the turn's tail, after the turn's last
   content character (found by rendering a *twin* turn whose every content character differs,
   so a stop string spelled inside the content is never taken for the real one). Whitespace the
   template writes after the stop token (Qwen's ``\\n`` after ``<|im_end|>``) is *glue*: not
   generated, trainable only under ``Policy(train_glue_after_stop=...)``.
2. **Where it is in the full rendering.** If ``R`` starts with ``F_i`` up to the stop token, the
   turn is rendered exactly as sampled (the common case) and its span is known exactly.
3. **History rewriting.** Some templates render earlier turns differently from what was sampled:
   Qwen3 drops the reasoning of turns before the last user query, gpt-oss drops the analysis
   channel and turns ``<|return|>`` into ``<|end|>``, DeepSeek-R1 strips ``</think>`` reasoning.
   The oracle then locates each turn *as rendered* in ``R``: a twin render of the full
   conversation per message gives the region of ``R`` that depends on that message's text; the
   turn starts after the last assistant header before its region and ends at its stop token.
   The default policy trains the turn as rendered (reasoning as rendered), and every rewritten
   turn is reported as a ``history_rewrite`` hazard naming the sampled and the rendered tokens:
   the tokens trained there are not the tokens the model sampled.

What the oracle cannot see: a template that drops text even from the turn being sampled
(DeepSeek-R1 keeps only what follows ``</think>`` in every turn) renders the same text at sampling
time and in history, so no ``history_rewrite`` is reported; the turn is judged as rendered.

Tokens are mapped to characters through the tokenizer's offsets. A token that covers both
generated and non-generated characters is a ``straddle`` hazard and is accepted either way.
Content that spells a control token (``<|im_end|>`` inside a user message) is a ``control_string``
hazard: most tokenizers turn it into the real control token. The oracle judges by the template's
structure (a turn ends at the template's own stop token), never by a stop string in the content.
The oracle uses neither ``{% generation %}`` tags nor any library's mask.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import enum
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.adapters import transformers as hf
from harness.types import TURNS, HazardKind, Turns

REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")


class OracleError(RuntimeError):
    """The oracle cannot locate a turn: the template's rendering is outside what it understands."""


class TemplateRenderError(OracleError):
    """The chat template itself raises on the conversation (or on one of its prefixes)."""


class Expect(enum.Enum):
    TRAIN = "train"
    SKIP = "skip"
    EITHER = "either"


@dataclass(frozen=True)
class Policy:
    """Which generated tokens a masker is expected to train.

    turns: ``"all"`` (default) trains every assistant turn; ``"last"`` only the final assistant turn
        (the single-turn SFT / last-turn RL convention).

    The three conventions below are text the model never generates but that some pipelines train
    on purpose. Each takes ``False`` (default: must not be trained), ``True`` (must be) or ``None``
    (either is accepted):

    train_glue_after_stop: whitespace the template writes after the stop token (Qwen's ``\\n``
        after ``<|im_end|>``; trl's ``*_training.jinja`` templates train it).
    train_header_whitespace: whitespace ending the assistant header (the ``\\n`` of
        ``<|im_start|>assistant\\n``; trl's Qwen training template trains it).
    train_conversation_end: text the template writes only after the last message (Phi-3.5's
        ``<|endoftext|>``), when the conversation ends with an assistant turn.
    train_assistant_header: the assistant header itself (``<|im_start|>assistant\n``, Llama's
        ``<|start_header_id|>assistant<|end_header_id|>\n\n``), which the generation prompt writes
        and the model never samples. ``True`` or ``None`` also covers the header's whitespace unless
        ``train_header_whitespace`` says otherwise. Text the generation prompt forces after the
        header (Qwen3's empty ``<think></think>`` with thinking off) is never covered.
    segmentation: ``True`` (default) the masker's ``input_ids`` must be the tokenization of the
        whole rendering; ``None`` accepts ids that spell the same text with another segmentation
        (message-by-message tokenization) and reports the difference as a hazard. Labels are
        judged either way.
    """

    turns: Turns = "all"
    train_glue_after_stop: bool | None = False
    train_header_whitespace: bool | None = False
    train_conversation_end: bool | None = False
    train_assistant_header: bool | None = False
    segmentation: bool | None = True

    def __post_init__(self) -> None:
        if self.turns not in TURNS:
            raise ValueError(f"Policy.turns must be 'all' or 'last', got {self.turns!r}")
        if self.segmentation not in (True, None):
            raise ValueError(f"Policy.segmentation must be True or None, got {self.segmentation!r}")
        for name in ("train_glue_after_stop", "train_header_whitespace", "train_conversation_end", "train_assistant_header"):
            if getattr(self, name) not in (True, False, None):
                raise ValueError(f"Policy.{name} must be True, False or None, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Hazard:
    """Something true of the template or data, not of the masker; reported, never a masker failure."""

    kind: HazardKind  # history_rewrite | straddle | control_string | no_stop_token | resegmented
    message_index: int | None
    detail: str


@dataclass(frozen=True)
class TurnSpan:
    """One assistant turn in the full rendering, in characters."""

    message_index: int
    header_start: int  # first character of the assistant header the generation prompt writes (== start if none)
    header_end: int  # end of the header proper; [header_end, start) is text the generation prompt forces
    header_ws_start: int  # first character of the whitespace that ends the assistant header (== start if none)
    start: int  # first generated character
    stop_start: int  # first character of the stop token (== end when the template writes none)
    end: int  # one past the stop token
    glue_end: int  # one past the whitespace glue after the stop token
    sampled_text: str  # what the model emitted at sampling time, through the stop token


@dataclass
class Oracle:
    messages: list[dict]
    tools: list[dict] | None
    text: str
    input_ids: list[int]
    offsets: list[tuple[int, int]]
    turns: list[TurnSpan]
    expected: list[Expect]
    stop_tokens: dict[int, list[int]]  # message index -> token indices of its stop token
    hazards: list[Hazard] = field(default_factory=list)
    ending: tuple[int, int] = (0, 0)  # characters written only after a final assistant turn
    policy: Policy = Policy()
    requirements: list[bool | None] = field(default_factory=list, repr=False)  # per character: must/must not/either train
    locate_messages: Callable[[], list[int | None]] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def message_starts(self) -> list[int | None]:
        """Character where each message's rendering starts (prefix renders, done on first use)."""
        return self.locate_messages() if self.locate_messages is not None else [0] * len(self.messages)

    @property
    def trained_turns(self) -> list[TurnSpan]:
        """The turns the policy trains (all, or the last one)."""
        return self.turns if self.policy.turns == "all" else self.turns[-1:]

    @functools.cached_property
    def token_roles(self) -> list[str]:
        """Role of the message each token belongs to (for the token table)."""
        import bisect

        # Owner of a character: the last message (by index) that starts at or before it.
        located = sorted((start, k) for k, start in enumerate(self.message_starts) if start is not None)
        starts = [start for start, _ in located]
        owners, latest = [], -1
        for _, k in located:
            latest = max(latest, k)
            owners.append(latest)
        roles = []
        for start, _ in self.offsets:
            at = bisect.bisect_right(starts, start) - 1
            roles.append(self.messages[owners[at]]["role"] if at >= 0 else "template")
        token_starts = [a for a, _ in self.offsets]
        for turn in self.turns:
            t = bisect.bisect_left(token_starts, turn.glue_end) - 1
            while t >= 0 and self.offsets[t][1] > turn.start:
                if self.offsets[t][0] < turn.glue_end:
                    roles[t] = "assistant"
                t -= 1
        if self.ending[0] < self.ending[1]:
            for t in range(bisect.bisect_left(token_starts, self.ending[0]), len(roles)):
                roles[t] = "end"  # text the template writes after the last message
        return roles

    def realigned(self, input_ids: Sequence[int], offsets: Sequence[tuple[int, int]]) -> "Oracle":
        """The same judgement for another segmentation of the same text (a masker's own tokens).

        ``offsets`` are each token's characters in ``self.text``; expectations are recomputed from
        the per-character requirements, so a token is judged by the characters it spells.
        """
        hazards: list[Hazard] = []
        offsets = [tuple(span) for span in offsets]
        expected = _expected_from(self.text, offsets, self.requirements, self.trained_turns, hazards)
        starts = self.message_starts
        return dataclasses.replace(
            self,
            locate_messages=lambda: starts,
            input_ids=list(input_ids),
            offsets=offsets,
            expected=expected,
            stop_tokens=_stop_token_indices(offsets, self.trained_turns),
            hazards=self.hazards + [h for h in hazards if h.kind == "straddle"],
        )


# --------------------------------------------------------------------------------------------
# Rendering helpers


def _render(tokenizer, messages, tools, template_kwargs, *, generation_prompt: bool = False) -> str:
    try:
        return hf.render(tokenizer, messages, tools, add_generation_prompt=generation_prompt, **template_kwargs)
    except Exception as error:  # the template's own limit: not something a masker can be judged on
        raise TemplateRenderError(f"the chat template cannot render this conversation: {type(error).__name__}: {error}") from error


def _twin_text(text: str) -> str:
    """Same length and whitespace, every other character replaced by a different digit."""
    return "".join(ch if ch.isspace() else ("7" if ch != "7" else "8") for ch in text)


def _twin_json(value: Any) -> Any:
    if isinstance(value, str):
        return _twin_text(value)
    if isinstance(value, Mapping):
        return {key: _twin_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_twin_json(item) for item in value]
    return value


def twin_message(message: Mapping[str, Any]) -> dict:
    """A message with the same structure whose every rendered content character differs."""
    twin = copy.deepcopy(dict(message))
    if isinstance(twin.get("content"), str):
        twin["content"] = _twin_text(twin["content"])
    for name in REASONING_FIELDS:
        if isinstance(twin.get(name), str):
            twin[name] = _twin_text(twin[name])
    for call in twin.get("tool_calls") or []:
        function = call.get("function", call)
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            function["arguments"] = json.dumps(_twin_json(json.loads(arguments)), ensure_ascii=False)
        elif arguments is not None:
            function["arguments"] = _twin_json(arguments)
    return twin


def _shared_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (slice comparisons in C, binary search)."""
    limit = min(len(a), len(b))
    if a[:limit] == b[:limit]:
        return limit
    lo, hi = 0, limit  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _shared_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    if limit <= 0:
        return 0
    if a[len(a) - limit :] == b[len(b) - limit :]:
        return limit
    lo, hi = 0, limit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _diff_region(a: str, b: str) -> tuple[int, int] | None:
    """Region of ``a`` that differs from ``b`` (maximal common prefix and suffix removed); None if equal."""
    if a == b:
        return None
    p = _shared_prefix(a, b)
    q = _shared_suffix(a, b, min(len(a), len(b)) - p)
    return p, len(a) - q


def _with_twin(messages: Sequence[Mapping], index: int) -> list[dict]:
    out = [dict(m) for m in messages]
    out[index] = twin_message(messages[index])
    return out


def _last_stop(text: str, stop_strings: Sequence[str], lo: int, hi: int) -> tuple[int, int] | None:
    best = None
    for stop in stop_strings:
        at = text.rfind(stop, lo, hi)
        if at >= 0 and (best is None or at + len(stop) > best[1] or (at + len(stop) == best[1] and at < best[0])):
            best = (at, at + len(stop))
    return best


def _first_stop(text: str, stop_strings: Sequence[str], lo: int, hi: int) -> tuple[int, int] | None:
    best = None
    for stop in stop_strings:
        at = text.find(stop, lo, hi)
        if at >= 0 and (best is None or at < best[0] or (at == best[0] and at + len(stop) > best[1])):
            best = (at, at + len(stop))
    return best


def _header_ws_start(text: str, start: int, header: str) -> int:
    trailing = len(header) - len(header.rstrip())
    return start - trailing if text[start - trailing : start] == header[len(header) - trailing :] else start


def _header_proper_length(header: str) -> int:
    """Length of the header proper: through its first line break and the whitespace after it.

    What the generation prompt writes after that (Qwen3's ``<think>\n\n</think>\n\n`` with
    thinking off) is text it forces, not the role header. A header without a line break
    (gpt-oss ``<|start|>assistant``, Aya, DeepSeek) is all header.
    """
    newline = header.find("\n")
    if newline < 0:
        return len(header)
    end = newline
    while end < len(header) and header[end].isspace():
        end += 1
    return end


def _glue_end(text: str, end: int, limit: int) -> int:
    glue = end
    while glue < limit and text[glue].isspace():
        glue += 1
    return glue


def _message_starts(tokenizer, messages, tools, text, template_kwargs) -> list[int | None]:
    """Character where each message's rendering starts in ``text``, where prefix renders allow it."""
    starts: list[int | None] = []
    for k in range(len(messages)):
        if k == 0:
            starts.append(0)
            continue
        try:
            prefix = _render(tokenizer, messages[:k], tools, template_kwargs)
        except OracleError:
            starts.append(None)
            continue
        # Up to where the prefix render agrees with the full one (a conversation ending such as
        # Phi's <|endoftext|> is not part of message k); approximate where history is rewritten.
        starts.append(_common_prefix_length(prefix, text, _stop_strings(tokenizer)))
    return starts


# --------------------------------------------------------------------------------------------
# Sampling-time view of one assistant turn


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


def _common_prefix_length(a: str, b: str, stop_strings: Sequence[str]) -> int:
    """Length of the common prefix of ``a`` and ``b``, never cutting a special token of ``a`` in two."""
    return _outside_special(a, _shared_prefix(a, b), stop_strings)


def conversation_ending(history: str, prompt: str, stop_strings: Sequence[str]) -> str:
    """What ``history`` (a render without generation prompt) has after its common part with ``prompt``."""
    return history[_common_prefix_length(history, prompt, stop_strings) :]


def _outside_special(text: str, position: int, stop_strings: Sequence[str]) -> int:
    """``position``, moved back to the start of a special token it would cut in two."""
    if not stop_strings:
        return position
    longest = max(len(stop) for stop in stop_strings)
    lo = max(0, position - longest + 1)
    for match in _special_pattern(tuple(stop_strings)).finditer(text, lo, position + longest - 1):
        for stop in stop_strings:  # the match may be one of several overlapping spellings
            if text.startswith(stop, match.start()) and match.start() < position < match.start() + len(stop):
                return match.start()
    return position


@functools.lru_cache(maxsize=64)
def _special_pattern(stop_strings: tuple[str, ...]):
    import re

    return re.compile("|".join(re.escape(stop) for stop in sorted(stop_strings, key=len, reverse=True)))


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


# --------------------------------------------------------------------------------------------
# The oracle


def _stop_strings(tokenizer) -> list[str]:
    return sorted(hf.special_token_strings(tokenizer), key=len, reverse=True)


def _located_by_prefix(text: str, sampled: _Sampled) -> TurnSpan | None:
    if not text.startswith(sampled.full[: sampled.end]):
        return None
    stop_start = sampled.stop[0] if sampled.stop else sampled.end
    return TurnSpan(
        message_index=-1,
        header_start=sampled.header_start,
        header_end=sampled.header_start + _header_proper_length(sampled.header),
        header_ws_start=_header_ws_start(text, sampled.start, sampled.header),
        start=sampled.start,
        stop_start=stop_start,
        end=sampled.end,
        glue_end=_glue_end(text, sampled.end, len(text)),
        sampled_text=sampled.full[sampled.start : sampled.end],
    )


def _text_region(tokenizer, messages, k, tools, template_kwargs, rendered) -> tuple[int, int] | None:
    """The region of ``rendered`` (the render of ``messages``) that message ``k``'s text occupies."""
    region = _diff_region(rendered, _render(tokenizer, _with_twin(messages, k), tools, template_kwargs))
    if region is not None:
        return region
    # Nothing to twin (empty content, no reasoning, ``{}`` arguments): anchor the message where a
    # one-character content would be rendered, so it is not confused with a later one.
    marked = [dict(m) for m in messages]
    marked[k]["content"] = (messages[k].get("content") or "") + "7"
    try:
        region = _diff_region(rendered, _render(tokenizer, marked, tools, template_kwargs))
    except Exception:
        return None
    return (region[0], region[0]) if region is not None else None


def _message_regions(tokenizer, messages, tools, text, template_kwargs) -> list[tuple[int, int] | None]:
    regions = [_text_region(tokenizer, messages, k, tools, template_kwargs, text) for k in range(len(messages))]
    previous_end = 0
    for k, region in enumerate(regions):
        if region is None:
            continue
        if region[0] < previous_end:
            raise OracleError(
                f"message {k}: its text changes how other messages render, so its place in the rendering "
                "cannot be told apart (history rewriting the oracle does not model)"
            )
        previous_end = region[1]
    return regions


def _located_by_regions(text, sampled: _Sampled, i, regions, stop_strings) -> TurnSpan:
    lo = max((r[1] for r in regions[:i] if r is not None), default=0)
    hi = min((r[0] for r in regions[i + 1 :] if r is not None), default=len(text))
    region = regions[i]
    search_end = region[0] if region is not None else hi
    if sampled.header:
        at = text.rfind(sampled.header, lo, search_end)
        if at < 0:
            raise OracleError(f"message {i}: assistant header {sampled.header!r} not found where the turn is rendered")
        start = at + len(sampled.header)
        header_start = at
    else:
        # No header (Llama-2's "[/INST] answer"): the turn starts after the text the template
        # writes between the previous message's last character and the turn, as sampled.
        lead_in = sampled.lead_in()
        if lead_in is None or i == 0 or regions[i - 1] is None or not text.startswith(lead_in, regions[i - 1][1]):
            raise OracleError(f"message {i}: the template writes no assistant header to find the rewritten turn by")
        start = regions[i - 1][1] + len(lead_in)
        header_start = start
    text_end = region[1] if region is not None else start
    if text.startswith(sampled.tail_after_text, text_end) and sampled.stop is not None:
        end = text_end + len(sampled.tail_after_text)
        stop = _last_stop(text, stop_strings, text_end, end)
    else:
        # Prefer the stop token the model sampled (<|im_end|>); a rewritten history may end the
        # turn with another one (gpt-oss: <|return|> becomes <|end|>).
        sampled_stop = [sampled.full[sampled.stop[0] : sampled.stop[1]]] if sampled.stop else []
        stop = _first_stop(text, sampled_stop, text_end, hi) or _first_stop(text, stop_strings, text_end, hi)
        if stop is None:
            raise OracleError(f"message {i}: no stop token after the turn's content in the rendering")
        end = stop[1]
    return TurnSpan(
        message_index=i,
        header_start=header_start,
        header_end=header_start + _header_proper_length(text[header_start:start]),
        header_ws_start=_header_ws_start(text, start, sampled.header),
        start=start,
        stop_start=stop[0] if stop else end,
        end=end,
        glue_end=_glue_end(text, end, hi),
        sampled_text=sampled.full[sampled.start : sampled.end],
    )


def _control_string_hazards(tokenizer, messages, stop_strings) -> list[Hazard]:
    hazards = []
    for k, message in enumerate(messages):
        fields = [message.get("content")] + [message.get(name) for name in REASONING_FIELDS]
        for call in message.get("tool_calls") or []:
            fields.append(str(call.get("function", call).get("arguments")))
        spelled = sorted({s for s in stop_strings for f in fields if isinstance(f, str) and s in f})
        if spelled:
            hazards.append(
                Hazard(
                    "control_string",
                    k,
                    f"{message['role']} text spells control token(s) {', '.join(spelled)}; the tokenizer encodes "
                    "them as the control token ids, not as text (the oracle still ends turns where the template does)",
                )
            )
    return hazards


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
    assistant_indices = [k for k, m in enumerate(messages) if m["role"] == "assistant"]
    hazards = _control_string_hazards(tokenizer, messages, stop_strings)

    turns: list[TurnSpan] = []
    regions = None
    for i in assistant_indices:
        sampled = _sampled_turn(tokenizer, messages, tools, i, stop_strings, template_kwargs)
        span = _located_by_prefix(text, sampled)
        if span is None:
            if regions is None:
                regions = _message_regions(tokenizer, messages, tools, text, template_kwargs)
            span = _located_by_regions(text, sampled, i, regions, stop_strings)
        span = dataclasses.replace(span, message_index=i)
        rendered = text[span.start : span.end]
        if rendered != span.sampled_text:
            hazards.append(
                Hazard(
                    "history_rewrite",
                    i,
                    f"the template renders this turn differently from what the model sampled: sampled "
                    f"{span.sampled_text!r}, rendered {rendered!r}",
                )
            )
        if sampled.stop is None:
            hazards.append(Hazard("no_stop_token", i, "the template writes no special token to end this turn"))
        turns.append(span)

    input_ids, offsets = hf.encode_with_offsets(tokenizer, text)
    trained_turns = turns if policy.turns == "all" else turns[-1:]
    ending = (0, 0)
    if messages[-1]["role"] == "assistant":
        prompt = _render(tokenizer, messages, tools, template_kwargs, generation_prompt=True)
        tail = conversation_ending(text, prompt, stop_strings)
        # Never inside the last turn (gpt-oss ends a final turn with <|return|>, a non-final one with <|end|>).
        ending = (max(len(text) - len(tail), turns[-1].glue_end), len(text))
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
        locate_messages=functools.partial(_message_starts, tokenizer, messages, tools, text, template_kwargs),
    )


def _stop_token_indices(offsets, turns) -> dict[int, list[int]]:
    return {
        turn.message_index: [t for t, (a, b) in enumerate(offsets) if a < turn.end and b > turn.stop_start]
        for turn in turns
        if turn.stop_start < turn.end
    }


def _header_whitespace_requirement(policy: Policy) -> bool | None:
    if policy.train_assistant_header is not False and policy.train_header_whitespace is False:
        return policy.train_assistant_header  # the whole header, its whitespace included
    return policy.train_header_whitespace


def _char_requirements(text, turns, policy: Policy, ending) -> list[bool | None]:
    """Per character: True = must train, False = must not, None = either (a convention set to None)."""
    must: list[bool | None] = [False] * len(text)
    regions = (
        [(t.header_start, min(t.header_end, t.header_ws_start), policy.train_assistant_header) for t in turns]
        + [(t.header_ws_start, t.start, _header_whitespace_requirement(policy)) for t in turns]
        + [(t.end, t.glue_end, policy.train_glue_after_stop) for t in turns]
        + [(ending[0], ending[1], policy.train_conversation_end)]
    )
    for a, b, value in regions:
        for c in range(a, b):
            if not must[c]:
                must[c] = value
    for turn in turns:
        for c in range(turn.start, turn.end):
            must[c] = True
    return must


def _expected_from(text, offsets, must, turns, hazards) -> list[Expect]:
    stops = [(t.stop_start, t.end) for t in turns if t.stop_start < t.end]
    expected = []
    for t, (a, b) in enumerate(offsets):
        values = set(must[a:b]) if b > a else {must[a] if a < len(must) else False}
        if any(a < stop_end and b > stop_start for stop_start, stop_end in stops):
            # The stop token is trained even when its token also swallows the glue after it
            # (Phi-3's <|end|> strips the newline that follows).
            values.discard(False)
            values.discard(None)
            values.add(True)
        if values == {True}:
            expected.append(Expect.TRAIN)
        elif values == {False}:
            expected.append(Expect.SKIP)
        else:
            expected.append(Expect.EITHER)
            if True in values and False in values:
                hazards.append(
                    Hazard("straddle", None, f"token {t} {text[a:b]!r} covers both generated and non-generated text")
                )
    return expected
