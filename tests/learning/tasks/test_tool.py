import json

from harness.learning.tasks import TOOL, ToolValues, get, reset_tool_values


def test_a_runs_tool_draws_what_reset_then_get_draws():
    for seed in (0, 3):
        reset_tool_values(seed)
        expected = [get("x") for _ in range(20)]
        run_get = TOOL.tools_for_run(seed)[0]
        assert [run_get("y") for _ in range(20)] == expected
    assert ToolValues(1).get("x") == ToolValues(1).get("x")  # each stream is its own


def test_every_get_has_the_same_schema_and_the_warm_up_copies_the_tool_result():
    assert TOOL.tools == [get]
    schema = json.loads(TOOL.tool_schemas_json())
    assert schema[0]["function"]["name"] == "get"
    assert schema[0]["function"]["description"] == "Get the current value of a key."
    row = TOOL.sft_rows(1, seed=0, wrong_fraction=0.0)[0]
    assert row["messages"][-1]["content"] == f"<answer>{row['messages'][2]['content']}</answer>"
