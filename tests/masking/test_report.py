"""What check_masker reports (harness/masking/report.py): failure keys, report order, the conversation as printed,
and replay files."""

from __future__ import annotations

import json

from harness.masking.oracle import Policy
from harness.masking.report import Failure, Report, conversation_text, ordered, with_replays

MESSAGES = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]


def test_failure_key_names_property_and_kind():
    failure = Failure("stop_token_trained", MESSAGES, None, "why", "stop token")
    assert failure.key == "stop_token_trained[stop token]"
    assert str(failure) == "[stop_token_trained[stop token]] why"
    assert Failure("output_format", MESSAGES, None, "why").key == "output_format"


def test_failures_are_ordered_by_property_then_kind():
    late = Failure("no_label_outside_assistant_output", MESSAGES, None, "", "user")
    early = Failure("masker_raised", MESSAGES, None, "", "KeyError")
    assert ordered([late, early]) == [early, late]


def test_long_messages_are_cut_in_the_report():
    text = conversation_text([{"role": "user", "content": "x" * 400}], [{"function": {"name": "f"}}])
    assert "…(cut; the replay file has it whole)" in text and "tools: ['f']" in text


def test_replays_are_written_whole_and_failed_writes_keep_the_failure(tmp_path):
    report = Report(tokenizer="qwen2.5-instruct", policy=Policy())
    failure = Failure("output_format", MESSAGES, None, "why")
    (written,) = with_replays([failure], report, Policy(), None, tmp_path)
    assert written.replay and "python -m harness inspect" in written.replay
    (path,) = tmp_path.iterdir()
    assert json.loads(path.read_text(encoding="utf-8"))["messages"] == MESSAGES
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert with_replays([failure], report, Policy(), None, blocked / "below") == [failure]
    assert "PASSED" in str(report)
