"""The oracle on turns of real corpus templates (harness/assets/templates) that it had judged wrong (issue 16).

Each case is a short conversation on the template as published; the oracle's labels are checked token by token and
the independent reference masker (harness/testing/reference.py, given the manifest's stops) must pass. Where a label
became either, a masker that trains past it must still fail.
"""

from __future__ import annotations

import pytest

from harness.adapters.transformers import frozen_template_date
from harness.assets.template_corpus import corpus_templates
from harness.masking.check import judge
from harness.masking.oracle import Expect, build_oracle
from harness.testing import reference

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]


def _call(n: int, arguments: dict) -> dict:
    return {"id": f"call_{n}", "type": "function", "function": {"name": "get_weather", "arguments": arguments}}


def _tool(n: int, content: str) -> dict:
    return {"role": "tool", "tool_call_id": f"call_{n}", "name": "get_weather", "content": content}


def _judged(load_tokenizer_or_skip, name, messages, tools=None):
    """(oracle, [(token text, expected)]) of ``messages`` on corpus template ``name``; the reference masker passes."""
    tokenizer = load_tokenizer_or_skip(name)
    with frozen_template_date():
        oracle = build_oracle(tokenizer, messages, tools)
        correct = reference.correct_masker(tokenizer, corpus_templates()[name].stops)
        assert judge(correct, tokenizer, messages, tools)[1] == []
    return oracle, [(oracle.text[a:b], e) for (a, b), e in zip(oracle.offsets, oracle.expected)]


def _trained_run(rows, first: str) -> str:
    """The text of the run of tokens expected trained that starts at the first token ``first``."""
    start = [text for text, _ in rows].index(first)
    end = next((k for k in range(start, len(rows)) if rows[k][1] is not Expect.TRAIN), len(rows))
    return "".join(text for text, _ in rows[start:end])


def _labels_of(rows, *pieces):
    """The expected labels of the first run of tokens whose texts are ``pieces``."""
    texts = [text for text, _ in rows]
    for k in range(len(texts)):
        if texts[k : k + len(pieces)] == list(pieces):
            return [e for _, e in rows[k : k + len(pieces)]]
    raise AssertionError(f"{pieces} not in {texts}")


T, S, E = Expect.TRAIN, Expect.SKIP, Expect.EITHER


def test_a_call_written_inside_the_previous_results_starts_after_them(load_tokenizer_or_skip):
    """Apertus writes the next call inside the list of the previous calls' results and moves its "]": the turn's
    generation prompt (<|assistant_start|>) is not searched for before the results, where the first call's header is
    (that had made the second call's turn start at the first one, training the result "sunny")."""
    messages = [{"role": "user", "content": "Oslo and Rome?"},
                {"role": "assistant", "content": None, "tool_calls": [_call(1, {"city": "Oslo"})]}, _tool(1, "sunny"),
                {"role": "assistant", "content": None, "tool_calls": [_call(2, {"city": "Rome"})]}, _tool(2, "rain"),
                {"role": "assistant", "content": "Sunny, then rain."}]
    oracle, rows = _judged(load_tokenizer_or_skip, "apertus-8b-instruct", messages, TOOLS)
    assert _labels_of(rows, "[s", "unny") == [S, S]
    assert _labels_of(rows, "R", "ome", '"}}', "]", "<|tools_suffix|>") == [T] * 5
    assert any(h.kind == "context_differs" and h.message_index == 3 for h in oracle.hazards), oracle.hazards


def test_an_empty_answer_written_only_before_another_message_is_its_stop(load_tokenizer_or_skip):
    """Nemotron Nano v2 writes nothing for an empty last answer, and "<SPECIAL_11>Assistant\\n\\n<SPECIAL_12>" once
    another message follows: the model sampled the stop, not the next header (the oracle had trained the header's
    <SPECIAL_11> as the turn and left <SPECIAL_12> untrained)."""
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""},
                {"role": "user", "content": "well?"}, {"role": "assistant", "content": "Fine."}]
    _, rows = _judged(load_tokenizer_or_skip, "nemotron-nano-v2", messages)
    assert _labels_of(rows, "<SPECIAL_11>", "Assistant", "\n\n", "<SPECIAL_12>", "\n", "<SPECIAL_11>") == [S, S, E, T, S, S]


def test_a_call_with_empty_arguments_after_the_content_s_stop_is_trained(load_tokenizer_or_skip):
    """GigaChat 3 writes the content, <|message_sep|>, then the call as a "function call" message, all sampled: a
    call with empty arguments has nothing to twin, and the turn had ended at the content's <|message_sep|>."""
    messages = [{"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "Let me look.", "tool_calls": [_call(1, {})]}, _tool(1, "sunny"),
                {"role": "assistant", "content": "Sunny."}]
    _, rows = _judged(load_tokenizer_or_skip, "gigachat3-10b-a1.8b", messages, TOOLS)
    assert _trained_run(rows, "Let") == ('Let me look.<|message_sep|>\n\nfunction call<|role_sep|>\n'
                                         '{"name": "get_weather", "arguments": {}}<|message_sep|>')
    assert _labels_of(rows, "function", " result") == [S, S]


def test_a_close_left_out_before_an_assistant_turn_is_not_appended_text(load_tokenizer_or_skip):
    """Bielik's template leaves out the <|im_end|> that closes tool outputs before an assistant turn when a system
    message comes first (it looks up the next message in the whole list with an index into the list after the system
    one): the <|im_end|> that ends the answer is its stop, not text the template appends after every last message (an
    answer repeating the tool output made its end look like one)."""
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "", "tool_calls": [_call(1, {"city": "Oslo"})]}, _tool(1, "sunny"),
                {"role": "assistant", "content": "sunny"}]
    _, rows = _judged(load_tokenizer_or_skip, "bielik-11b-v3-instruct", messages, TOOLS)
    assert [e for _, e in rows[-4:]] == [T, T, T, S]  # "sun", "ny", <|im_end|>, "\n"
    assert rows[-2][0] == "<|im_end|>"


def test_the_forced_opening_a_rewritten_turn_repeats_is_either(load_tokenizer_or_skip):
    """Nemotron 3 Nano forces "<think>\\n" and writes an earlier turn as "<think></think>" and its answer: "<think>" is
    the prompt's as much as the model's there; the last turn, rendered as sampled, keeps it untrained."""
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello.", "reasoning_content": "Greet."},
                {"role": "user", "content": "bye"}, {"role": "assistant", "content": "Bye.", "reasoning_content": "Part."}]
    _, rows = _judged(load_tokenizer_or_skip, "nemotron-3-nano-30b-a3b", messages)
    assert _labels_of(rows, "<think>", "</think>", "\n", "Hello") == [E, T, T, T]
    assert _labels_of(rows, "<think>", "\n", "Part") == [S, S, T]


def test_a_text_stop_and_a_rewritten_call_are_judged(load_tokenizer_or_skip):
    """Apriel 1.6 on a vocabulary without its markers: "<|end|>" closes every turn another message follows, spelled in
    plain tokens, so it may be the model's stop or glue (it had been required untrained); history adds the call's id,
    and a call whose arguments are all null has nothing to twin (its tokens had been required untrained)."""
    messages = [{"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "Checking.", "tool_calls": [_call(1, {"city": None})]},
                _tool(1, "sunny"), {"role": "assistant", "content": "Sunny."}]
    oracle, rows = _judged(load_tokenizer_or_skip, "apriel-1.6-15b-thinker", messages, TOOLS)
    assert _trained_run(rows, "Checking") == (
        'Checking.\n<tool_calls>[{"name": "get_weather", "arguments": {"city": null}, "id": "call_1"}]</tool_calls')
    assert _labels_of(rows, ">\n", "<", "|", "end", "|", ">\n", "<", "|", "begin", "_tool") == [E] * 6 + [S] * 4
    assert any(h.kind == "no_stop_token" for h in oracle.hazards)


@pytest.mark.parametrize("trained", ["tool result", "next header"])
def test_a_masker_that_trains_past_the_text_stop_is_caught(load_tokenizer_or_skip, trained):
    """The text stop being either label does not let the tool message after it pass."""
    tokenizer = load_tokenizer_or_skip("apriel-1.6-15b-thinker")
    messages = [{"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "Checking.", "tool_calls": [_call(1, {"city": "Oslo"})]},
                _tool(1, "sunny"), {"role": "assistant", "content": "Sunny."}]
    oracle = build_oracle(tokenizer, messages, TOOLS)
    texts = [oracle.text[a:b] for a, b in oracle.offsets]
    begin = next(k for k in range(len(texts)) if texts[k : k + 3] == ["<", "|", "begin"] and "_tool" in texts[k + 3])
    extra = range(begin, begin + 5) if trained == "next header" else [texts.index("s", begin), texts.index("unny", begin)]

    def masker(m, t):
        return {"input_ids": oracle.input_ids, "labels": [i if e is not Expect.SKIP or k in extra else -100
                                                          for k, (i, e) in enumerate(zip(oracle.input_ids, oracle.expected))]}

    assert judge(masker, tokenizer, messages, TOOLS)[1]


def test_the_whitespace_a_last_turn_without_stop_ends_with_is_the_model_s(load_tokenizer_or_skip):
    """Apertus writes no stop after the last answer: the answer's own trailing whitespace ("Sunny.\\n\\n", which a
    twin keeps as it is) is what the model sampled, trained like the rest (it had been cut off as template glue)."""
    messages = [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Sunny.\n\n"}]
    oracle, rows = _judged(load_tokenizer_or_skip, "apertus-8b-instruct", messages)
    assert oracle.text.endswith("Sunny.\n\n") and _trained_run(rows, "S") == "Sunny.\n\n", rows
