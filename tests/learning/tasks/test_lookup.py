from harness.learning.tasks import LOOKUP, LOOKUP_TABLE, lookup


def test_lookup_is_strict_and_the_warm_up_calls_it():
    assert lookup(" 07 ") == LOOKUP_TABLE["07"] and lookup("7") == "unknown"
    row = LOOKUP.sft_rows(1, seed=0, wrong_fraction=0.0)[0]
    call, result = row["messages"][1], row["messages"][2]
    key = call["tool_calls"][0]["function"]["arguments"]["key"]
    assert result == {"role": "tool", "name": "lookup", "content": LOOKUP_TABLE[key]}
    assert row["messages"][-1]["content"] == f"<answer>{LOOKUP_TABLE[key]}</answer>"
    assert LOOKUP.tools_for_run(0) == [lookup]
