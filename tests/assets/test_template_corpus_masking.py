"""Every corpus template, loaded by name and judged: its control tokens are single tokens with the real model's
``special`` flags, the oracle refuses at most 10 % of random conversations, the independent reference masker
(harness/testing/reference.py) passes, and every planted bug (harness/testing/planted.py) is caught.

One sample of conversations per template (``sample_conversations``, seeded) is judged by the oracle once; each
masker's output is then judged against the same oracle (``judge_output``); the planted bugs on the conversations where
the reference masker passes, so a template it fails on still has its bugs checked. The maskers render and tokenize through
a memo of the tokenizer, so the planted bugs share the renders of the reference masker. ``cpu``: 10 conversations
per template (a bug on the 4 richest judged ones); nightly (``slow``): 60 (a bug on 20).

A planted bug whose output is the correct masker's on every conversation tried is no bug there (``double_bos`` on a
template without BOS, ``glue_after_stop_trained`` where nothing follows the stop token): it is listed, not failed.
``turns_tokenized_separately`` is left out as in tests/masking/test_check.py (its ids are a re-segmentation, which
the default policy accepts).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from harness.adapters.transformers import frozen_template_date
from harness.assets.template_corpus import corpus_names, corpus_templates
from harness.assets.tokenizers import find_tokenizer
from harness.masking.judging import judge_output
from harness.masking.output import normalize_output
from harness.survey.refusals import refusals, sample_conversations
from harness.testing import planted, reference

NAMES = corpus_names()
MAX_REFUSAL_RATE = 0.10

# Templates the harness does not judge yet, each with the exact assertion it fails with (first line): none since
# issue 16 (the last ones were the reference masker reading headers inside contents and the oracle's misjudged turns
# now covered by tests/masking/oracle/test_corpus_template_turns.py). An entry is a strict xfail (the samples are a pure
# function of the seed, see harness/survey/refusals.py), so a template that starts passing fails the run until it is
# taken off the list. Never a reason to weaken the checks above.
KNOWN_FAILURES: dict[str, str] = {}
KNOWN_SLOW_FAILURES: dict[str, str] = {}


def _names(known: dict[str, str], *, strict: bool):
    return [pytest.param(name, marks=pytest.mark.xfail(strict=strict, raises=AssertionError, reason=known[name]))
            if name in known else name for name in NAMES]
BUGS = [bug for bug in planted.PLANTED_BUGS if bug.__name__ != "turns_tokenized_separately"]


class _Memo:
    """The tokenizer, with renders and encodings remembered: maskers built on the same prefix renders share them."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self._renders: dict[str, str] = {}
        self._encodings: dict[str, object] = {}

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)

    def apply_chat_template(self, messages, **kwargs):
        key = json.dumps([messages, kwargs], sort_keys=True, default=repr)
        if key not in self._renders:
            self._renders[key] = self._tokenizer.apply_chat_template(messages, **kwargs)
        return self._renders[key]

    def __call__(self, text, **kwargs):
        key = json.dumps([text, kwargs], sort_keys=True)
        if key not in self._encodings:
            self._encodings[key] = self._tokenizer(text, **kwargs)
        return self._encodings[key]


def _judge(tokenizer, oracle, masker, conversation):
    """(violations, output) of ``masker`` on a conversation the oracle judged."""
    output = normalize_output(masker(conversation["messages"], conversation.get("tools")))
    fresh = dataclasses.replace(oracle, hazards=list(oracle.hazards))
    _, found, _ = judge_output(tokenizer, fresh, output)
    return found, output


def _richest(judged, count):
    """The judged conversations with the most assistant turns and tool messages (where bugs show), first ``count``."""
    def richness(item):
        messages = item[0][0]["messages"]
        return (sum(m["role"] == "tool" for m in messages) > 0, sum(m["role"] == "assistant" for m in messages),
                len(messages))
    return sorted(judged, key=richness, reverse=True)[:count]


def check_loaded(name, tokenizer):
    """Loaded by name: the corpus template over its base vocabulary, the real model's strings as single tokens."""
    template = corpus_templates()[name]
    assert find_tokenizer(name).corpus_template == name
    assert tokenizer.chat_template == template.text() and tokenizer.name_or_path == name
    for text in template.control_tokens + tuple(t for t in (template.bos_token, template.eos_token) if t):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1, f"{name}: {text!r} is {len(ids)} tokens"
    flags = {str(t): t.special for t in tokenizer.backend_tokenizer.get_added_tokens_decoder().values()}
    wrong = {t.content: flags.get(t.content) for t in template.added_tokens if flags.get(t.content) != t.special}
    assert not wrong, f"{name}: added tokens whose special flag is not the manifest's: {wrong}"
    assert (template.bos_token or tokenizer.bos_token) == tokenizer.bos_token
    assert (template.eos_token or tokenizer.eos_token) == tokenizer.eos_token


def check_corpus_template(name, load_tokenizer_or_skip, *, conversations: int, bug_conversations: int):
    template = corpus_templates()[name]
    tokenizer = load_tokenizer_or_skip(name)
    check_loaded(name, tokenizer)
    with frozen_template_date():
        sample = sample_conversations(tokenizer, conversations, seed=0)
        result = refusals(tokenizer, sample)
        assert result.total == len(sample) > 0
        rate = result.rate
        assert rate <= MAX_REFUSAL_RATE, (
            f"{name}: the oracle refused {len(result.refused)} of {result.total} conversations: {result.reasons()}")
        memo = _Memo(tokenizer)
        correct = reference.correct_masker(memo, template.stops)
        problems, passed = [], []  # the planted bugs are tried where the reference masker passes
        for conversation, oracle in result.judged:
            found, output = _judge(tokenizer, oracle, correct, conversation)
            if found and not problems:
                problems.append(f"{name}: the reference masker fails: {found[0].summary}\n{conversation}")
            elif not found:
                passed.append(((conversation, oracle), output))
        missed, not_a_bug = [], []
        chosen = _richest(passed, bug_conversations)
        for bug in BUGS:
            masker = bug(memo, template.stops)
            caught, identical = False, True
            for (conversation, oracle), correct_output in chosen:
                found, output = _judge(tokenizer, oracle, masker, conversation)
                identical = identical and (output.input_ids, output.trained) == (correct_output.input_ids,
                                                                                 correct_output.trained)
                caught = bool(found)
                if caught:
                    break  # caught once is caught: the other conversations only tell a miss from no bug
            if not caught:
                (not_a_bug if identical else missed).append(bug.__name__)
        if not passed:
            problems.append(f"{name}: the reference masker passes on no conversation: no planted bug could be tried")
        elif missed:
            problems.append(f"{name}: planted bugs not caught: {missed} (no bug here: {not_a_bug})")
        if passed and len(not_a_bug) >= len(BUGS) // 2:
            problems.append(f"{name}: most planted bugs changed nothing: {not_a_bug}")
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _names(KNOWN_FAILURES, strict=True))
def test_corpus_template_loads_and_is_judged(name, load_tokenizer_or_skip):
    check_corpus_template(name, load_tokenizer_or_skip, conversations=10, bug_conversations=4)


@pytest.mark.slow
@pytest.mark.parametrize("name", _names(KNOWN_SLOW_FAILURES, strict=True))
def test_corpus_template_is_judged_thoroughly(name, load_tokenizer_or_skip):
    check_corpus_template(name, load_tokenizer_or_skip, conversations=60, bug_conversations=20)
