import random

from harness.learning.tasks import COPY, CopyTask


def test_copy_example_and_conversation():
    example = COPY.example(random.Random(0))
    assert example["answer"] == example["key"] and len(example["answer"]) == 1
    assert example["prompt"][-1]["content"] == f"Copy {example['answer']}."
    assert COPY.conversation(example, "7") == [*example["prompt"], {"role": "assistant", "content": "<answer>7</answer>"}]
    assert COPY.tools == [] and COPY.tool_schemas_json() is None and COPY.tools_for_run(0) == []


def test_digits_sets_the_number_length():
    rows = CopyTask(digits=3).sft_rows(20, seed=0, wrong_fraction=1.0)
    assert all(len(row["messages"][-1]["content"]) == len("<answer>123</answer>") for row in rows)
