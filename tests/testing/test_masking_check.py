"""The masking_check fixture's logic (harness/testing/masking_check.py): it follows the active Hypothesis settings, and a
failure's message carries the report, the replay file and a command that renders with the template checked."""

from __future__ import annotations

import copy
import json
import shlex

import pytest
from hypothesis import settings

from harness.testing.masking_check import run_masking_check
from harness.testing import planted as maskers
from harness.testing import reference


@pytest.fixture
def four_examples():
    name = settings.get_current_profile_name()
    settings.register_profile("harness-test-four", settings.get_profile(name), max_examples=4)
    settings.load_profile("harness-test-four")
    yield
    settings.load_profile(name)


def test_follows_the_active_hypothesis_settings(four_examples, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    report, message = run_masking_check(reference.correct_masker(tokenizer, "<|im_end|>"), tokenizer,
                                        replay_dir=tmp_path, label="t")
    assert message is None and 1 <= report.examples <= 4  # distinct conversations; not the default profile's
    report, _ = run_masking_check(reference.correct_masker(tokenizer, "<|im_end|>"), tokenizer, replay_dir=tmp_path,
                                  label="t", max_examples=6)
    assert 4 < report.examples <= 6  # an explicit number wins


def test_failure_message_names_replay_file_and_template(four_examples, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    template = tokenizer.chat_template.replace("You are Qwen", "You are Mine")
    before = tokenizer.chat_template
    mine = copy.copy(tokenizer)  # the user's pipeline renders with its own template
    mine.chat_template = template
    report, message = run_masking_check(maskers.stop_token_untrained(mine, "<|im_end|>"), tokenizer,
                                        replay_dir=tmp_path, label="test_x", chat_template=template)
    assert tokenizer.chat_template == before  # the caller's tokenizer keeps its template
    assert message.startswith(str(report)) and not report.passed
    failure = next(f for f in report.failures if f.property == "stop_token_trained")
    assert f"replay: {failure.replay}" in message
    command = shlex.split(failure.replay)
    path = command[command.index("--tokenizer") + 2]
    assert path.startswith(str(tmp_path))
    assert json.loads(open(path, encoding="utf-8").read())["messages"] == failure.messages
    assert command[:4] == ["python", "-m", "harness", "inspect"]
    jinja = command[command.index("--chat-template") + 1]
    assert open(jinja, encoding="utf-8").read() == template
