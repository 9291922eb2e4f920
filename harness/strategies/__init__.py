"""Hypothesis strategies for OpenAI/HF-format chat conversations, adapted to a template's limits.

``conversations(capabilities=probe_template(tok))`` generates only what that template renders
faithfully, so a template's own limits are never reported as a masking bug; ``conversations_for(tok)``
does the probing and the control strings for you. Every conversation passes
``harness.masking.conversation.validate_conversation`` and ends with an assistant answer.

Shrinking: lists have small minimums and every ``one_of`` lists the simplest case first, so a
failing example shrinks to a short conversation of plain (often empty) words.

Modules: ``text`` (message text), ``tools`` (schemas, arguments, calls), ``turns`` (assistant turns
and tool results), ``chat`` (whole conversations), ``controls`` (control strings of a template),
``options`` (checks of the keyword-only options).
"""

from harness.strategies.chat import conversations, conversations_for
from harness.strategies.controls import CROSS_TEMPLATE_CONTROL_STRINGS, control_strings_for
from harness.strategies.text import NON_ASCII, SEED_TAGS, texts
from harness.strategies.tools import TOOL_SCHEMAS, tool_arguments, tool_calls, tool_schemas
from harness.strategies.turns import assistant_turns

__all__ = [
    "CROSS_TEMPLATE_CONTROL_STRINGS",
    "NON_ASCII",
    "SEED_TAGS",
    "TOOL_SCHEMAS",
    "assistant_turns",
    "control_strings_for",
    "conversations",
    "conversations_for",
    "texts",
    "tool_arguments",
    "tool_calls",
    "tool_schemas",
]
