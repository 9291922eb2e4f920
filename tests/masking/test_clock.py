"""One instant per check: a chat template that writes the time to the second renders one text for the oracle, the
masker, every shrinking step and the replay (``harness/adapters/transformers/clock.py``, ``check_masker``'s
``clock``, the replay file's ``"clock"`` and ``python -m harness inspect``).

The template here is Qwen2.5's with the time to the second in its system block, as templates that read the clock
write it (``strftime_now``: Llama 3.x, Granite, Mistral Small and others write the date). Without the held clock, a
masker that renders in the next second spells another text than the oracle's rendering ("text differs").
"""

from __future__ import annotations

import datetime
import json
import re
import shlex
import time

import pytest
from hypothesis import strategies as st

from harness.adapters import transformers as hf
from harness.masking.check import check_masker, token_table
from harness.masking.oracle import build_oracle
from harness.masking.replay import ReplayClockError, recorded_clock
from harness.testing import planted, reference

STOP = "<|im_end|>"
SECONDS = "%Y-%m-%d %H:%M:%S"
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
TIME_SAID = re.compile(r"The time is (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.")
AN_INSTANT = datetime.datetime(2001, 2, 3, 4, 5, 6)
PLAIN = st.just({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "tools": None})


def template_with_seconds(template: str) -> str:
    """Qwen2.5's template, its system block (the default one and the user's) ending with the time to the second."""
    now = f"strftime_now('{SECONDS}')"
    out = template.replace(DEFAULT_SYSTEM, f"{DEFAULT_SYSTEM} The time is ' + {now} + '.")
    out = out.replace("messages[0]['content']", f"messages[0]['content'] + '\\n\\nThe time is ' + {now} + '.'")
    assert out.count(now) == 4, "Qwen2.5's template changed: write the time into its system block again"
    return out


@pytest.fixture(scope="module")
def clock_tokenizer():
    from harness.assets.tokenizers import find_tokenizer, missing_reason

    if find_tokenizer("qwen2.5-instruct") is None:
        pytest.skip(missing_reason("qwen2.5-instruct"))
    tokenizer = hf.load_tokenizer("qwen2.5-instruct")
    tokenizer.chat_template = template_with_seconds(tokenizer.chat_template)
    return tokenizer


def in_the_next_second(masker):
    """``masker``, called only once the second the oracle rendered in is over."""

    def later(messages, tools):
        time.sleep(1.02 - time.time() % 1)
        return masker(messages, tools)

    return later


def sleeping_correct_masker(tokenizer):
    """``inspect --masker tests.masking.test_clock:sleeping_correct_masker``: the correct masker, a second late."""
    return in_the_next_second(reference.correct_masker(tokenizer, STOP))


MESSAGES = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]


def test_the_template_writes_another_text_a_second_later_unless_the_clock_is_held(clock_tokenizer):
    first = hf.render(clock_tokenizer, MESSAGES)
    time.sleep(1.02 - time.time() % 1)
    assert hf.render(clock_tokenizer, MESSAGES) != first  # the premise: the template reads the clock to the second
    with hf.frozen_template_clock() as clock:
        held = hf.render(clock_tokenizer, MESSAGES)
        time.sleep(1.02 - time.time() % 1)
        assert hf.render(clock_tokenizer, MESSAGES) == held
    assert TIME_SAID.search(held).group(1) == clock.instant.strftime(SECONDS)
    assert clock.reads == 2 and clock.instant.microsecond == 0


def test_a_correct_masker_that_renders_a_second_later_passes(clock_tokenizer, tmp_path):
    """The masker renders in a later second than the oracle on every conversation: only the held clock makes it
    pass, every time (no "text differs", no FlakyFailure)."""
    before = datetime.datetime.now().replace(microsecond=0)
    report = check_masker(in_the_next_second(reference.correct_masker(clock_tokenizer, STOP)), clock_tokenizer,
                          max_examples=4, replay_dir=tmp_path)
    assert report.passed, str(report)
    assert report.examples >= 2
    assert report.clock is not None and before <= report.clock <= datetime.datetime.now()
    assert f"clock: the chat template reads the clock (strftime_now); every render (oracle, masker, shrinking) saw " \
           f"{report.clock.isoformat(sep=' ')}" in str(report)


def test_shrinking_and_the_replay_see_the_instant_the_check_held(clock_tokenizer, tmp_path, capsys):
    from harness.cli import main

    seen = []
    bug = planted.stop_token_untrained(clock_tokenizer, STOP)

    def recording(messages, tools):  # what time every call of the masker renders, shrinking steps included
        seen.append(TIME_SAID.search(hf.render(clock_tokenizer, messages, tools)).group(1))
        return bug(messages, tools)

    report = check_masker(recording, clock_tokenizer, max_examples=10, max_rounds=1, replay_dir=tmp_path,
                          clock=AN_INSTANT)
    keys = [f.key for f in report.failures]
    assert "stop_token_trained[stop token]" in keys and "input_ids_match_rendering[text differs]" not in keys, keys
    assert len(seen) > report.examples  # Hypothesis replayed conversations while shrinking
    assert set(seen) == {"2001-02-03 04:05:06"}
    assert report.clock == AN_INSTANT and "saw 2001-02-03 04:05:06" in str(report)

    # The replay file records the instant; inspect renders at it again, with the masker a second late too.
    replay = next(arg for arg in shlex.split(report.failures[0].replay) if arg.endswith(".json"))
    data = json.loads(open(replay, encoding="utf-8").read())
    assert data["clock"] == "2001-02-03T04:05:06" and recorded_clock(data) == AN_INSTANT
    template = tmp_path / "clock.jinja"
    template.write_text(clock_tokenizer.chat_template, encoding="utf-8")
    capsys.readouterr()
    args = ["inspect", replay, "--tokenizer", "qwen2.5-instruct", "--chat-template", str(template), "--color", "never"]
    assert main(args) == 0
    out = capsys.readouterr().out
    with hf.frozen_template_clock(AN_INSTANT):
        expected = token_table(build_oracle(clock_tokenizer, data["messages"], data["tools"]))
    assert out.startswith(expected + "\n")
    assert "rendered at 2001-02-03 04:05:06 (the replay file's clock)" in out
    assert main([*args, "--masker", "tests.masking.test_clock:sleeping_correct_masker"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main([*args, "--clock", "2030-01-01T00:00:00"]) == 0
    assert "rendered at 2030-01-01 00:00:00 (--clock)" in capsys.readouterr().out


def test_an_instant_held_around_the_check_is_the_one_it_uses(clock_tokenizer, tmp_path):
    """What masking_check, a golden file or a user's own ``frozen_template_clock`` block holds, the check keeps."""
    from harness.testing.masking_check import run_masking_check

    with hf.frozen_template_clock(AN_INSTANT):
        report = check_masker(reference.correct_masker(clock_tokenizer, STOP), clock_tokenizer, max_examples=1,
                              conversations=PLAIN)
    assert report.passed and report.clock == AN_INSTANT
    report, message = run_masking_check(reference.correct_masker(clock_tokenizer, STOP), clock_tokenizer,
                                        replay_dir=tmp_path, label="clock", max_examples=1, conversations=PLAIN,
                                        clock=AN_INSTANT)
    assert report.passed and report.clock == AN_INSTANT  # (message: the plain conversation exercised no tools)


def test_a_template_that_reads_no_clock_says_nothing_of_it(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    report = check_masker(reference.correct_masker(tokenizer, STOP), tokenizer, max_examples=1, conversations=PLAIN)
    assert report.passed and report.clock is None and "clock" not in str(report)


def test_the_clock_must_be_a_datetime(clock_tokenizer):
    with pytest.raises(TypeError, match="clock must be a datetime.datetime.*got str"):
        check_masker(reference.correct_masker(clock_tokenizer, STOP), clock_tokenizer, max_examples=1,
                     conversations=PLAIN, clock="2026-01-15")


def test_held_clocks_nest_and_let_go():
    from transformers.utils import chat_template_utils

    real = chat_template_utils.datetime
    assert hf.held_template_clock() is None
    with hf.frozen_template_clock(AN_INSTANT) as outer:
        assert hf.template_now() == AN_INSTANT and outer.reads == 0  # template_now is no template's read
        with hf.frozen_template_clock() as inner:  # no instant: the outer one
            assert inner.instant == AN_INSTANT and hf.held_template_clock() is inner
            assert chat_template_utils.datetime.now() == AN_INSTANT
        with pytest.raises(ZeroDivisionError), hf.frozen_template_date() as golden:
            assert chat_template_utils.datetime.now() == hf.FIXED_DATE and golden.reads == 1
            1 / 0
        assert hf.held_template_clock() is outer and chat_template_utils.datetime.now() == AN_INSTANT
        assert outer.reads == 3  # its own read and those of the blocks inside it
    assert chat_template_utils.datetime is real and hf.held_template_clock() is None
    with pytest.raises(TypeError, match="must be a datetime.datetime, got str"), hf.frozen_template_clock("now"):
        pass


@pytest.mark.parametrize(
    ("value", "problem"),
    [(20260115, "must be an ISO 8601 date and time string, got int"), ("yesterday", "not an ISO 8601")],
)
def test_a_bad_recorded_clock_is_named(value, problem, clock_tokenizer, tmp_path, capsys):
    from harness.cli import main

    with pytest.raises(ReplayClockError, match=problem):
        recorded_clock({"clock": value})
    assert recorded_clock({"messages": []}) is None
    path = tmp_path / "replay.json"
    path.write_text(json.dumps({"messages": MESSAGES, "clock": value}), encoding="utf-8")
    assert main(["inspect", str(path), "--tokenizer", "qwen2.5-instruct"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: 'clock'") and problem in err and len(err.splitlines()) == 1
    assert main(["inspect", str(path), "--tokenizer", "qwen2.5-instruct", "--clock", "noon"]) == 2
    assert "--clock noon: not an ISO 8601 date and time" in capsys.readouterr().err
