"""The named properties a masker's output must have, judged against the oracle.

Each property returns ``None`` when it holds, or a ``Violation`` naming the offending token
indices and what is wrong with them. Order matters only for reading: when ``input_ids`` differ
from the rendering, the label properties cannot be judged position by position and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.masker_output import MaskerOutput
from harness.oracle import Expect, Oracle


@dataclass(frozen=True)
class Violation:
    property: str
    summary: str
    token_indices: tuple[int, ...]


def input_ids_match_rendering(oracle: Oracle, output: MaskerOutput) -> Violation | None:
    """input_ids equal the tokenization of the template's rendering (no extra BOS, no lost token)."""
    ours, theirs = oracle.input_ids, output.input_ids
    if ours == theirs:
        return None
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return Violation(
        "input_ids_match_rendering",
        f"input_ids differ from the tokenized rendering from token {first} on "
        f"(masker: {len(theirs)} tokens, rendering: {len(ours)}; masker has "
        f"{theirs[first:first + 3]} where the rendering has {ours[first:first + 3]})",
        (first,),
    )


def labels_aligned(oracle: Oracle, output: MaskerOutput) -> Violation | None:
    """Where trained, labels[i] == input_ids[i]: labels are not shifted either way, nor rewritten."""
    if output.labels is None:
        return None
    ids, labels = output.input_ids, output.labels
    wrong = [i for i, trained in enumerate(output.trained) if trained and labels[i] != ids[i]]
    if not wrong:
        return None
    left = sum(1 for i in wrong if i + 1 < len(ids) and labels[i] == ids[i + 1])
    right = sum(1 for i in wrong if i > 0 and labels[i] == ids[i - 1])
    if left > len(wrong) / 2:
        how = "labels are shifted left by one (labels[i] == input_ids[i+1]: pre-shifted for the loss, which shifts again)"
    elif right > len(wrong) / 2:
        how = "labels are shifted right by one (labels[i] == input_ids[i-1])"
    else:
        how = "labels hold other token ids than input_ids at trained positions"
    return Violation("labels_aligned", f"{len(wrong)} trained position(s) where labels != input_ids: {how}", tuple(wrong))


def no_label_outside_assistant_output(oracle: Oracle, output: MaskerOutput) -> Violation | None:
    """Nothing but generated assistant output is trained: no system, user, tool, header or trailing text."""
    wrong = [i for i, (e, t) in enumerate(zip(oracle.expected, output.trained)) if t and e is Expect.SKIP]
    if not wrong:
        return None
    roles = sorted({oracle.token_roles[i] for i in wrong})
    return Violation(
        "no_label_outside_assistant_output",
        f"{len(wrong)} token(s) trained that the model did not generate (roles: {', '.join(roles)})",
        tuple(wrong),
    )


def assistant_turns_fully_trained(oracle: Oracle, output: MaskerOutput) -> Violation | None:
    """Every generated token of every assistant turn is trained (the stop token is judged separately)."""
    stops = {i for indices in oracle.stop_tokens.values() for i in indices}
    wrong = [
        i
        for i, (e, t) in enumerate(zip(oracle.expected, output.trained))
        if e is Expect.TRAIN and not t and i not in stops
    ]
    if not wrong:
        return None
    turns = sorted({_turn_of(oracle, i) for i in wrong})
    return Violation(
        "assistant_turns_fully_trained",
        f"{len(wrong)} generated token(s) not trained, in assistant message(s) {turns}",
        tuple(wrong),
    )


def stop_token_trained(oracle: Oracle, output: MaskerOutput) -> Violation | None:
    """Each trained turn's stop token (``<|im_end|>``, ``<|eot_id|>`` ...) is trained."""
    wrong = [i for indices in oracle.stop_tokens.values() for i in indices if not output.trained[i]]
    if not wrong:
        return None
    return Violation(
        "stop_token_trained",
        f"the end-of-turn token is not trained in {len(wrong)} place(s): the model never learns to stop",
        tuple(wrong),
    )


def some_token_trained(oracle: Oracle, output: MaskerOutput) -> Violation | None:
    """At least one token is trained (an all-masked example trains nothing and may divide by zero)."""
    if any(output.trained):
        return None
    return Violation("some_token_trained", "no token is trained at all", ())


def _turn_of(oracle: Oracle, token_index: int) -> int:
    start = oracle.offsets[token_index][0]
    for turn in oracle.turns:
        if turn.start <= start < turn.glue_end:
            return turn.message_index
    return -1


PROPERTIES: tuple[Callable[[Oracle, MaskerOutput], Violation | None], ...] = (
    labels_aligned,
    no_label_outside_assistant_output,
    assistant_turns_fully_trained,
    stop_token_trained,
    some_token_trained,
)


def violations(oracle: Oracle, output: MaskerOutput) -> list[Violation]:
    """Every property that fails for this output (the label properties only when input_ids match)."""
    mismatch = input_ids_match_rendering(oracle, output)
    if mismatch is not None:
        return [mismatch]
    return [v for prop in PROPERTIES if (v := prop(oracle, output)) is not None]
