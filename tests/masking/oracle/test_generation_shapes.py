"""The oracle on templates whose generation does not simply extend the rendered history (issue 16).

Each template here is a small ChatML-like template with one of the behaviours real templates have:
the assistant header written by the previous turn with other whitespace than the turn's rendering
(the generation prompt adds nothing), an assistant header always left open at the end, an
instruction appended after the last message, and a stop written only once another message follows.
The oracle must judge each, an independent correct masker must pass, and trained headers or tool
results must still be caught.
"""

from __future__ import annotations

import pytest

from harness.masking.check import judge
from harness.masking.oracle import Expect, build_oracle
from harness.testing import reference

TURN = "{% for m in messages %}"
HEADER_BY_PREVIOUS = (  # the user turn writes "<|im_start|>assistant\n"; the turn itself is indented
    TURN + "{% if m.role == 'assistant' %}  {{ m.content }}<|im_end|>\n"
    "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n<|im_start|>assistant{% if loop.last %}{{ '\\n' }}{% endif %}"
    "{% endif %}{% endfor %}"
)
OPEN_HEADER = TURN + "<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant{{ '\\n' }}"
APPENDED = (
    TURN + "<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>system\nBe brief.<|im_end|>\n"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CLOSED_BY_NEXT = (  # "<|im_end|>" after an assistant turn only once another message follows
    TURN + "{% if m.role == 'assistant' %}<|im_start|>assistant\n{{ m.content }}{% if not loop.last %}<|im_end|>\n{% endif %}"
    "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
MESSAGES = [
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": "yes"},
    {"role": "user", "content": "more"},
    {"role": "assistant", "content": "done"},
]


def _trained_text(oracle) -> list[str]:
    """Each turn's generated text; no token of it may be left untrained (a token that also spells
    whitespace the prompt writes otherwise may be either)."""
    for (a, b), e in zip(oracle.offsets, oracle.expected):
        assert e is not Expect.SKIP or all(b <= t.start or a >= t.end for t in oracle.turns), (a, b, oracle.text[a:b])
    return [oracle.text[turn.start : turn.end] for turn in oracle.turns]


@pytest.mark.parametrize(
    "template, trained, hazard",
    [
        (HEADER_BY_PREVIOUS, ["yes<|im_end|>", "done<|im_end|>"], "context_differs"),
        (OPEN_HEADER, ["yes<|im_end|>", "done<|im_end|>"], None),
        (APPENDED, ["yes<|im_end|>", "done<|im_end|>"], "context_differs"),
        (CLOSED_BY_NEXT, ["yes<|im_end|>", "done"], "no_stop_token"),
    ],
    ids=["header-by-previous", "open-header", "appended", "closed-by-next"],
)
def test_generated_text_is_located(load_tokenizer_or_skip, template, trained, hazard):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    tokenizer.chat_template = template
    oracle = build_oracle(tokenizer, MESSAGES)
    assert _trained_text(oracle) == trained, oracle
    kinds = {h.kind for h in oracle.hazards}
    assert hazard is None or hazard in kinds, oracle.hazards
    if hazard == "context_differs":
        detail = next(h.detail for h in oracle.hazards if h.kind == "context_differs")
        assert "inference prompt ends" in detail and "training rendering has" in detail
    # An independent correct masker passes; one that trains every header does not.
    masker = reference.correct_masker(tokenizer, "<|im_end|>")
    assert judge(masker, tokenizer, MESSAGES)[1] == []
    everything = lambda m, t: {"input_ids": oracle.input_ids, "labels": list(oracle.input_ids)}  # noqa: E731
    assert judge(everything, tokenizer, MESSAGES)[1]


def test_a_turn_that_follows_its_own_generation_prompt_runs_to_its_last_stop(load_tokenizer_or_skip):
    """gpt-oss samples analysis, <|end|>, <|start|>assistant to=functions..., the call and <|call|> in one turn: the
    <|start|> in the middle is not the next turn's opener (an empty-arguments call has no text to locate it by)."""
    tokenizer = load_tokenizer_or_skip("gpt-oss-20b")
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {}}}
    messages = [{"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": None, "reasoning_content": "Look it up.", "tool_calls": [call]}]
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                                               "parameters": {"type": "object", "properties": {}}}}]
    oracle = build_oracle(tokenizer, messages, tools)
    pieces = [tokenizer.decode([token]) for token in oracle.input_ids]
    call_end = pieces.index("<|call|>")
    analysis = pieces.index("Look")
    assert all(oracle.expected[t] is Expect.TRAIN for t in range(analysis, call_end + 1)), list(
        zip(pieces[analysis:call_end + 1], [e.value for e in oracle.expected[analysis:call_end + 1]]))
