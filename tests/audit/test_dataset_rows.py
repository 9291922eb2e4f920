"""Reading datasets and converting rows: OpenAI and ShareGPT rows by the README's rules; a row that cannot be
converted is reported with its index and the reason."""

from __future__ import annotations

import json

import pytest

from harness.audit.dataset_rows import DatasetError, convert_row, read_dataset
from tests.audit.rows import TOOLS, clean

SHAREGPT = {"conversations": [
    {"from": "human", "value": "Recipes with rice?"},
    {"from": "function_call", "value": json.dumps({"name": "search", "arguments": {"q": "rice"}})},
    {"from": "observation", "value": '{"recipes": ["pilaf"]}'},
    {"from": "gpt", "value": "Pilaf."}],
    "system": "Be brief.",
    "tools": json.dumps([{"name": "search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}])}


def test_a_sharegpt_row_becomes_openai_messages_with_paired_call_ids():
    row = convert_row(SHAREGPT, 7)
    assert not row.error and row.format == "sharegpt"
    assert [m["role"] for m in row.messages] == ["system", "user", "assistant", "tool", "assistant"]
    (call,) = row.messages[2]["tool_calls"]
    assert call == {"id": "call_7_0", "type": "function", "function": {"name": "search", "arguments": {"q": "rice"}}}
    assert row.messages[3] == {"role": "tool", "tool_call_id": "call_7_0", "name": "search",
                               "content": '{"recipes": ["pilaf"]}'}
    assert row.tools == [{"type": "function", "function": json.loads(SHAREGPT["tools"])[0]}]


def test_an_openai_row_keeps_string_arguments_and_null_content():
    row = convert_row({"messages": [{"role": "user", "content": "x"},
                                    {"role": "assistant", "content": None,
                                     "tool_calls": [{"id": "a", "type": "function",
                                                     "function": {"name": "get_user", "arguments": "{\"user_id\": 1}"}}]},
                                    {"role": "tool", "tool_call_id": "a", "content": "ok"}],
                       "tools": json.dumps(TOOLS)}, 0)
    assert row.messages[1]["content"] is None and row.messages[1]["tool_calls"][0]["function"]["arguments"] == \
        "{\"user_id\": 1}"
    assert row.tools == TOOLS


@pytest.mark.parametrize("record, reason", [
    ({"text": "plain"}, "neither 'messages' (OpenAI) nor 'conversations' (ShareGPT)"),
    ({"conversations": [{"from": "robot", "value": "x"}]}, "unknown 'from' 'robot'"),
    ({"conversations": [{"from": "human", "value": "x"}, {"from": "observation", "value": "y"}]},
     "an observation answers no function_call"),
    ({"conversations": [{"from": "function_call", "value": "not json"}]}, "function_call) is a string but not JSON"),
    ({"messages": [{"role": "user", "content": "x"}], "tools": "{oops"}, "tools is a string but not JSON"),
    (["not", "an", "object"], "a row is a JSON object"),
])
def test_a_row_that_cannot_be_converted_names_why(record, reason):
    row = convert_row(record, 3)
    assert reason in row.error and row.index == 3 and not row.messages


def test_jsonl_json_parquet_and_a_datasets_folder_give_the_same_rows(tmp_path):
    records = [clean(1), clean(2)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "d.json").write_text(json.dumps({"data": records}))
    from datasets import Dataset

    dataset = Dataset.from_list([{"id": r["id"], "messages": json.dumps(r["messages"]), "tools": json.dumps(r["tools"])}
                                 for r in records])
    dataset.to_parquet(str(tmp_path / "d.parquet"))
    dataset.save_to_disk(str(tmp_path / "folder"))
    expected = [(row.id, row.messages, row.tools) for row in read_dataset(tmp_path / "d.jsonl")]
    assert [r.id for r in read_dataset(tmp_path / "d.jsonl")] == ["clean-1", "clean-2"]
    for path in ("d.json", "d.parquet", "folder"):
        assert [(row.id, row.messages, row.tools) for row in read_dataset(tmp_path / path)] == expected, path


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), ('{"a": 1}', "a list of rows"), ("[1,\n", "not JSON")])
def test_an_unreadable_dataset_is_bad_input(tmp_path, content, message):
    path = tmp_path / "d.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        read_dataset(path)
