"""The strategies' options (harness/strategies/options.py): a bad option raises when the strategy is built."""

from __future__ import annotations

import pytest
from hypothesis.errors import InvalidArgument

from harness.masking.template_probe import TemplateCapabilities
from harness.strategies import assistant_turns, conversations, texts, tool_arguments, tool_calls, tool_schemas


@pytest.mark.parametrize(
    "make",
    [
        lambda: texts(max_size=-1),
        lambda: texts(control_strings="<|im_end|>"),
        lambda: texts(control_strings=[""]),
        lambda: texts(hard="yes"),
        lambda: tool_schemas(max_size=0),
        lambda: tool_arguments(max_depth=9),
        lambda: tool_calls(tools=[]),
        lambda: tool_calls(max_calls=0),
        lambda: tool_calls(id_format="fixed"),
        lambda: assistant_turns(capabilities={"tools": True}),
        lambda: assistant_turns(calls=True, capabilities=TemplateCapabilities(tools=False)),
        lambda: conversations(max_turns=0),
        lambda: conversations(max_turns=2.5),
        lambda: conversations(tools=None),
        lambda: conversations(capabilities="qwen3"),
    ],
)
def test_invalid_options_raise(make):
    # Options are checked when the strategy is built, not when it is first drawn from.
    with pytest.raises((InvalidArgument, ValueError)):
        make()
