"""Tools (harness/strategies/tools.py): arguments are JSON objects, schemas come from the fixed set."""

from __future__ import annotations

from hypothesis import given

from harness.strategies import TOOL_SCHEMAS, tool_arguments, tool_schemas


@given(tool_arguments())
def test_tool_arguments_are_json_objects(arguments):
    import json

    assert isinstance(arguments, dict)
    assert json.loads(json.dumps(arguments)) == arguments


@given(tool_schemas())
def test_tool_schemas_come_from_the_fixed_set(schemas):
    assert schemas and all(s in TOOL_SCHEMAS for s in schemas)
