"""The Oracle object: a short repr, and message starts rendered only when asked for."""

from __future__ import annotations

from harness.masking.oracle import Expect, Policy, build_oracle

MESSAGES = [
    {"role": "user", "content": "q1"},
    {"role": "assistant", "content": "a1"},
    {"role": "user", "content": "q2"},
    {"role": "assistant", "content": "a2"},
]


def test_repr_is_short_and_shows_no_tokenizer_or_closure(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    oracle = build_oracle(tokenizer, MESSAGES, policy=Policy(turns="last"))
    for shown in (repr(oracle), repr(oracle.realigned(oracle.input_ids, oracle.offsets))):
        assert shown.startswith("<Oracle: 4 messages, assistant turns at [1, 3], ")
        assert shown.endswith(", hazards {}, Policy(turns='last')>")
        assert len(shown) < 200
        assert "okenizer" not in shown and "function" not in shown and "partial" not in shown
    trained, skipped = oracle.expected.count(Expect.TRAIN), oracle.expected.count(Expect.SKIP)
    assert f"{len(oracle.input_ids)} tokens ({trained} train, {skipped} skip, 0 either)" in repr(oracle)
    assert repr(oracle.message_locator) == "MessageStarts(<not rendered yet>)"
    oracle.token_roles  # noqa: B018 - renders the prefixes
    assert repr(oracle.message_locator) == f"MessageStarts({oracle.message_starts})"


def test_message_starts_are_rendered_on_first_use_and_shared_by_realigned_views(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    oracle = build_oracle(tokenizer, MESSAGES)
    view = oracle.realigned(oracle.input_ids, oracle.offsets)
    assert not oracle.message_locator.rendered
    assert view.message_locator is oracle.message_locator
    roles = view.token_roles
    assert oracle.message_locator.rendered
    starts = oracle.message_starts
    assert starts[0] == 0 and starts == sorted(starts)
    assert oracle.text.startswith("<|im_start|>assistant\na1", starts[1])
    assert {roles[t] for t, e in enumerate(view.expected) if e is Expect.TRAIN} == {"assistant"}
    assert set(roles) <= {"user", "assistant"}
