import json

from harness.learning.tasks import TOOL, ToolValues


def test_a_runs_tool_draws_from_its_own_seeded_stream():
    for seed in (0, 3):
        first, second = TOOL.tools_for_run(seed)[0], TOOL.tools_for_run(seed)[0]
        draws = [first("x") for _ in range(20)]
        assert [second("any key") for _ in range(20)] == draws  # same seed, same values: nothing shared between runs
        assert all(value in "0123456789" for value in draws)
    assert [ToolValues(1).get("x") for _ in range(20)] != [ToolValues(2).get("x") for _ in range(20)]


def test_every_get_has_the_same_schema_and_the_warm_up_copies_the_tool_result():
    schema = json.loads(TOOL.tool_schemas_json())
    assert schema[0]["function"]["name"] == "get"
    assert schema[0]["function"]["description"] == "Get the current value of a key."
    row = TOOL.sft_rows(1, seed=0, wrong_fraction=0.0)[0]
    assert row["messages"][-1]["content"] == f"<answer>{row['messages'][2]['content']}</answer>"
