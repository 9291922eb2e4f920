"""The named properties a masker's output must have, judged against the oracle.

Each property returns the list of its ``Violation``s: one per failure class (the property and
the kind of token involved), naming the offending token indices and what is wrong with them.
Whether the masker's ``input_ids`` spell the rendering is judged before (``harness.masking.alignment``);
the properties run on an oracle aligned with the masker's own tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.masking.output import MaskerOutput
from harness.masking.oracle import Expect, Oracle
from harness.masking.token_kinds import token_kind, turn_kind


@dataclass(frozen=True)
class Violation:
    """One failure class on one conversation: a property and the kind of token involved."""

    property: str
    summary: str
    token_indices: tuple[int, ...]
    kind: str = ""

    @property
    def key(self) -> str:
        return f"{self.property}[{self.kind}]" if self.kind else self.property


def labels_aligned(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """Where trained, labels[i] == input_ids[i]: labels are not shifted either way, nor rewritten."""
    if output.labels is None:
        return []
    ids, labels = output.input_ids, output.labels
    wrong = [i for i, trained in enumerate(output.trained) if trained and labels[i] != ids[i]]
    if not wrong:
        return []
    left = sum(1 for i in wrong if i + 1 < len(ids) and labels[i] == ids[i + 1])
    right = sum(1 for i in wrong if i > 0 and labels[i] == ids[i - 1])
    # One class whatever the direction: on a short turn a shift can look like both (``\n <|im_end|> \n``).
    if left > right and left > len(wrong) / 2:
        how = "labels are shifted left by one (labels[i] == input_ids[i+1]: pre-shifted for the loss, which shifts again)"
    elif right > left and right > len(wrong) / 2:
        how = "labels are shifted right by one (labels[i] == input_ids[i-1])"
    else:
        how = "labels hold other token ids than input_ids at trained positions"
    return [Violation("labels_aligned", f"{len(wrong)} trained position(s) where labels != input_ids: {how}", tuple(wrong))]


def no_label_outside_assistant_output(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """Nothing but generated assistant output is trained: no system, user, tool, header or trailing text.

    One violation per kind of token (assistant header, tool result, user ...): each is its own bug.
    """
    wrong = [i for i, (e, t) in enumerate(zip(oracle.expected, output.trained)) if t and e is Expect.SKIP]
    by_kind: dict[str, list[int]] = {}
    for i in wrong:
        by_kind.setdefault(token_kind(oracle, i), []).append(i)
    return [
        Violation(
            "no_label_outside_assistant_output",
            f"{len(indices)} token(s) trained that the model did not generate: {kind}",
            tuple(indices),
            kind,
        )
        for kind, indices in by_kind.items()
    ]


def assistant_turns_fully_trained(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """Every generated token of every trained assistant turn is trained (the stop token is judged
    separately). One violation per kind of turn (tool-call or answer) and extent (entire or part)."""
    stops = {i for indices in oracle.stop_tokens.values() for i in indices}
    per_turn: dict[int, tuple[list[int], int]] = {}
    for i, e in enumerate(oracle.expected):
        if e is Expect.TRAIN and i not in stops:
            turn = _turn_of(oracle, i)
            missed, total = per_turn.get(turn, ([], 0))
            if not output.trained[i]:
                missed.append(i)
            per_turn[turn] = (missed, total + 1)
    by_kind: dict[str, tuple[list[int], list[int]]] = {}
    for turn, (missed, total) in per_turn.items():
        if not missed:
            continue
        kind = f"{turn_kind(oracle, turn) if turn >= 0 else 'assistant turn'}, {'entire' if len(missed) == total else 'part'}"
        indices, turns = by_kind.setdefault(kind, ([], []))
        indices.extend(missed)
        turns.append(turn)
    return [
        Violation(
            "assistant_turns_fully_trained",
            f"{len(indices)} generated token(s) not trained ({kind}), in assistant message(s) {sorted(turns)}",
            tuple(sorted(indices)),
            kind,
        )
        for kind, (indices, turns) in by_kind.items()
    ]


def stop_token_trained(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """Each trained turn's stop token (``<|im_end|>``, ``<|eot_id|>`` ...) is trained."""
    wrong = [i for indices in oracle.stop_tokens.values() for i in indices if not output.trained[i]]
    if not wrong:
        return []
    return [
        Violation(
            "stop_token_trained",
            f"the end-of-turn token is not trained in {len(wrong)} place(s): the model never learns to stop",
            tuple(wrong),
            "stop token",
        )
    ]


def some_token_trained(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """At least one token is trained (an all-masked example trains nothing and may divide by zero),
    where the model generated some (a last turn with no text and no stop written has nothing to train)."""
    if any(output.trained) or not any(e is Expect.TRAIN for e in oracle.expected):
        return []
    return [Violation("some_token_trained", "no token is trained at all", ())]


def _turn_of(oracle: Oracle, token_index: int) -> int:
    start = oracle.offsets[token_index][0]
    for turn in oracle.turns:
        if turn.start <= start < turn.glue_end:
            return turn.message_index
    return -1


# Judged in this order; a masker's failures are reported per (property, kind).
PROPERTIES: tuple[Callable[[Oracle, MaskerOutput], list[Violation]], ...] = (
    labels_aligned,
    no_label_outside_assistant_output,
    assistant_turns_fully_trained,
    stop_token_trained,
    some_token_trained,
)


def violations(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """Every failure class of this output. ``oracle`` must be aligned with ``output.input_ids``
    (``Oracle.realigned`` for a masker's own segmentation)."""
    return [v for prop in PROPERTIES for v in prop(oracle, output)]
