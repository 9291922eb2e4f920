"""Public types: the ``Masker`` protocol and the ``Literal`` names of policies, hazards and failures.

Light on purpose (typing only), so ``check``, ``oracle`` and user code can import it for annotations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, get_args, runtime_checkable

#: ``Policy.turns``: every assistant turn is trained, or only the final one.
Turns = Literal["all", "last"]

#: ``Hazard.kind``: facts about the template or data, never masker failures.
HazardKind = Literal[
    "history_rewrite", "context_differs", "straddle", "control_string", "no_stop_token", "resegmented", "padded",
    "untrained_tail",
]

#: ``Failure.property``: the name of the property that failed.
FailureProperty = Literal[
    "input_ids_match_rendering",
    "labels_aligned",
    "no_label_outside_assistant_output",
    "assistant_turns_fully_trained",
    "stop_token_trained",
    "some_token_trained",
    "masker_raised",
    "output_format",
]

TURNS: tuple[str, ...] = get_args(Turns)
HAZARD_KINDS: tuple[str, ...] = get_args(HazardKind)
FAILURE_PROPERTIES: tuple[str, ...] = get_args(FailureProperty)


@runtime_checkable
class Masker(Protocol):
    """A training pipeline's data path for one conversation.

    ``masker(messages, tools)`` returns ``{"input_ids", "labels"}`` (unshifted, ``-100`` where not trained) or
    ``{"input_ids", "assistant_masks" | "loss_mask" | "completion_mask" | "mask"}`` (1 where trained); lists or
    tensors. A padded sequence adds its ``attention_mask``: 0 marks padding, dropped before judging.
    """

    def __call__(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, /
    ) -> Mapping[str, Sequence[int] | Any]: ...
