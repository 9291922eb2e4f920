"""What a token of the rendering is, beyond its message's role: the kinds failure classes name.

A trained token the model did not generate is one of these kinds, and a masker that trains
two kinds has two distinct bugs (the assistant header is a convention some pipelines keep on
purpose; a tool result trained is what breaks multi-turn RL), so each kind is reported on its
own with its own shrunk conversation.
"""

from __future__ import annotations

from harness.masking.oracle import Oracle

ASSISTANT_HEADER = "assistant header"
FORCED_TEXT = "text the generation prompt forces"
GLUE_AFTER_STOP = "glue after the stop token"
SYSTEM = "system"
USER = "user"
TOOL_RESULT = "tool result"
CONVERSATION_END = "conversation end"
OTHER_STOP = "another turn's stop"
UNTRAINED_TURN = "assistant turn the policy leaves untrained"
TEMPLATE_TEXT = "template text outside any message"
ASSISTANT_OTHER = "assistant text the model did not sample"

_ROLE_KINDS = {
    "system": SYSTEM,
    "developer": SYSTEM,
    "user": USER,
    "tool": TOOL_RESULT,
    "template": TEMPLATE_TEXT,
    "end": CONVERSATION_END,
    "assistant": ASSISTANT_OTHER,
}


def _first_untrainable_char(oracle: Oracle, a: int, b: int) -> int:
    for c in range(a, min(b, len(oracle.requirements))):
        if oracle.requirements[c] is False:
            return c
    return a


def token_kind(oracle: Oracle, index: int) -> str:
    """The kind of the (non-generated) token ``index``: header, glue, tool result, user ..."""
    a, b = oracle.offsets[index]
    c = _first_untrainable_char(oracle, a, b)
    if oracle.ending[0] < oracle.ending[1] and c >= oracle.ending[0]:
        return CONVERSATION_END
    trained = {turn.message_index for turn in oracle.trained_turns}
    for turn in oracle.turns:
        if turn.header_start <= c < turn.header_end:
            return ASSISTANT_HEADER
        if turn.header_end <= c < turn.start:
            return FORCED_TEXT
        if turn.end <= c < turn.glue_end:
            return GLUE_AFTER_STOP
        if turn.start <= c < turn.end and turn.message_index not in trained:
            return UNTRAINED_TURN
    token_text = oracle.text[a:b]
    stop_texts = {oracle.text[turn.stop_start : turn.end] for turn in oracle.turns if turn.stop_start < turn.end}
    if token_text and token_text in stop_texts:
        return OTHER_STOP
    return _ROLE_KINDS.get(oracle.token_roles[index], oracle.token_roles[index])


def turn_kind(oracle: Oracle, message_index: int) -> str:
    """``tool-call turn`` or ``answer turn``: how the assistant message at ``message_index`` ends."""
    message = oracle.messages[message_index]
    follows = oracle.messages[message_index + 1]["role"] if message_index + 1 < len(oracle.messages) else None
    return "tool-call turn" if message.get("tool_calls") or follows == "tool" else "answer turn"
