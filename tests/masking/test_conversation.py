"""Malformed conversations get a clear error naming the message and the problem."""

import pytest

from harness.masking.conversation import ConversationError, validate_conversation

CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}


@pytest.mark.parametrize(
    "messages, problem",
    [
        ([], "empty"),
        ([{"role": "robot", "content": "x"}], r"message 0: unknown role 'robot'"),
        ([{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}], "message 1: tool message answers no call"),
        ([{"role": "user", "content": "x"}, {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}],
         "message 1: tool_calls\\[0\\] arguments are not JSON"),
        ([{"role": "user", "content": "x"}, {"role": "assistant", "content": "", "tool_calls": [CALL]},
          {"role": "tool", "tool_call_id": "zz", "content": "r"}], "message 2: tool message answers tool_call_id 'zz'"),
        ([{"role": "user", "content": 3}], "message 0: content must be a string"),
    ],
)
def test_malformed_conversation_is_named(messages, problem):
    with pytest.raises(ConversationError, match=problem):
        validate_conversation(messages)


def test_sound_conversation_passes():
    validate_conversation([{"role": "user", "content": "x"}, {"role": "assistant", "content": None, "tool_calls": [CALL]},
                           {"role": "tool", "tool_call_id": "c1", "content": "r"}, {"role": "assistant", "content": "ok"}])
