"""The oracle's value types: the expected label of a token, a hazard, one located turn, and its errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.types import HazardKind


class OracleError(RuntimeError):
    """The oracle cannot locate a turn: the template's rendering is outside what it understands."""


class TemplateRenderError(OracleError):
    """The chat template itself raises on the conversation (or on one of its prefixes)."""


class Expect(enum.Enum):
    """What a masker must do with one token: train it, skip it, or either."""

    TRAIN = "train"
    SKIP = "skip"
    EITHER = "either"


@dataclass(frozen=True)
class Hazard:
    """Something true of the template or data, not of the masker; reported, never a masker failure."""

    kind: HazardKind  # history_rewrite | context_differs | straddle | control_string | no_stop_token | resegmented
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
    # whitespace before ``start`` the inference prompt writes otherwise, or text it forces that a rewritten turn repeats
    # (Nemotron's "<think>" of a forced "<think>\n"): either label
    loose: tuple[int, int] | None = None
    stop_optional: bool = False  # the stop is the next message's header too (GLM's <|user|>): either label
    # whitespace the template writes between the turn's text and a stop it writes only once another message follows
    # (Command R's "\n" before the next <|START_OF_TURN_TOKEN|>): never sampled, either label when the stop is optional
    glue_before_stop: tuple[int, int] | None = None
    # a special token right after the turn that the rendering writes only after assistant turns (GLM's <|observation|>
    # after a tool call): the model's stop as much as the next message's opener, either label; or, after a turn with no
    # stop token, the text the template closes it with whatever follows (Apriel 1.6's "\n<|end|>\n", where <|end|> is
    # no single token): the model's text stop as much as glue, either label (harness/masking/oracle/closes.py)
    optional_after: tuple[int, int] | None = None
