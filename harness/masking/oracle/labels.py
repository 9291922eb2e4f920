"""From located turns to labels: what each character must be, then what each token must be.

Per character: ``True`` must be trained (the generated text through the stop token), ``False``
must not, ``None`` either (a ``Policy`` convention set to ``None``). A token is ``TRAIN`` or
``SKIP`` when all its characters agree, else ``EITHER`` (a ``straddle`` hazard when they disagree).
"""

from __future__ import annotations

import bisect

from harness.masking.oracle.types import Expect, Hazard, TurnSpan
from harness.masking.policy import Policy


def _trained_turns(turns: list[TurnSpan], policy: Policy) -> list[TurnSpan]:
    """The turns ``policy`` trains: all of them, or the last one."""
    return turns if policy.turns == "all" else turns[-1:]


def _stop_token_indices(offsets, turns) -> dict[int, list[int]]:
    """Per turn (by message index), the indices of the tokens spelling its stop token (``a < end and b >
    stop_start``). With the token starts in order, only the tokens between the first whose running maximum end
    passes ``stop_start`` and the last starting before ``end`` can qualify (found by bisection, not a scan per turn)."""
    starts = [a for a, _ in offsets]
    ordered = all(x <= y for x, y in zip(starts, starts[1:]))
    reach, furthest = [], -1
    for _, b in offsets:
        furthest = max(furthest, b)
        reach.append(furthest)
    found = {}
    for turn in turns:
        if not (turn.stop_start < turn.end and not turn.stop_optional):
            continue
        candidates = (range(bisect.bisect_right(reach, turn.stop_start), bisect.bisect_left(starts, turn.end))
                      if ordered else range(len(offsets)))
        found[turn.message_index] = [t for t in candidates
                                     if offsets[t][0] < turn.end and offsets[t][1] > turn.stop_start]
    return found


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
        if turn.loose is not None:  # whitespace the inference prompt writes otherwise: not sampled, not context
            for c in range(*turn.loose):
                if must[c] is False:
                    must[c] = None
        for c in range(turn.start, turn.stop_start if turn.stop_optional else turn.end):
            must[c] = True
        for c in range(*(turn.optional_after or (0, 0))):
            must[c] = None
        if turn.stop_optional:
            for c in range(*(turn.glue_before_stop or (turn.stop_start, turn.stop_start))):
                must[c] = None
            for c in range(turn.stop_start, turn.end):
                must[c] = None
    return must


def _expected_from(text, offsets, must, turns, hazards) -> list[Expect]:
    """Each token's expected label from the characters it spells; appends ``straddle`` hazards to ``hazards``."""
    stops = sorted((t.stop_start, t.end) for t in turns if t.stop_start < t.end and not t.stop_optional)
    stop_starts = [start for start, _ in stops]
    disjoint = all(end <= start for (_, end), (start, _) in zip(stops, stops[1:]))
    expected = []
    for t, (a, b) in enumerate(offsets):
        values = set(must[a:b]) if b > a else {must[a] if a < len(must) else False}
        if disjoint:  # the last stop starting before b is the only one that can reach past a
            k = bisect.bisect_left(stop_starts, b) - 1
            touches_stop = k >= 0 and a < stops[k][1]
        else:
            touches_stop = any(a < stop_end and b > stop_start for stop_start, stop_end in stops)
        if touches_stop:
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
