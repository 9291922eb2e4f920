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


EMPTY_CALL_TOKENS = (  # Solar-like: a call is special tokens around its name and arguments, ended by <|calls|>
    TURN + "<|im_start|>{{ m.role }}\n{% if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>{{ c.function.name }}"
    "<arg_value>{{ c.function.arguments | tojson }}</tool_call>{% endfor %}<|im_end|>"
    "{% else %}{{ m.content }}<|im_end|>{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
OBSERVATION_AFTER = (  # GLM-like: a tool-call turn ends with </tool_call>; <|observation|> opens the tool message
    TURN + "{% if m.role == 'assistant' %}<|assistant|>\n{% if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>"
    "{{ c.function.name }}{{ c.function.arguments | tojson }}</tool_call>{% endfor %}{% else %}{{ m.content }}{% endif %}"
    "{% elif m.role == 'tool' %}<|observation|>\n{{ m.content }}{% else %}<|{{ m.role }}|>\n{{ m.content }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {}}}
CALL_MESSAGES = [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "", "tool_calls": [CALL]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}, {"role": "assistant", "content": "Sunny."}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                                           "parameters": {"type": "object", "properties": {}}}}]


def _with_tokens(tokenizer, *tokens):
    from tokenizers import AddedToken

    tokenizer = __import__("copy").deepcopy(tokenizer)
    tokenizer.add_special_tokens({"additional_special_tokens": [AddedToken(t, special=True, normalized=False)
                                                                for t in tokens]}, replace_extra_special_tokens=False)
    return tokenizer


def test_a_call_with_empty_arguments_is_trained_through_its_closing_tokens(load_tokenizer_or_skip):
    """A call with no arguments and no content has nothing of its own to twin: the turn still runs through its name,
    "{}" and closing tokens (located by a marked twin; in Solar's corpus sample, whose reasoning spelled <|end|>, the
    oracle had ended such a turn at its first special token)."""
    tokenizer = _with_tokens(load_tokenizer_or_skip("qwen2.5-instruct"), "<arg_value>")
    tokenizer.chat_template = EMPTY_CALL_TOKENS
    oracle = build_oracle(tokenizer, CALL_MESSAGES, TOOLS)
    assert oracle.text[oracle.turns[0].start : oracle.turns[0].end] == (
        '<tool_call>get_weather<arg_value>{}</tool_call><|im_end|>'), oracle.turns[0]
    assert judge(reference.correct_masker(tokenizer, "<|im_end|>"), tokenizer, CALL_MESSAGES, TOOLS)[1] == []


def test_a_token_written_only_after_assistant_turns_may_be_trained_as_their_stop(load_tokenizer_or_skip):
    """GLM samples <|observation|> to stop after a call, and writes it as the tool message's opener: either label. A
    masker that trains it passes, one that does not passes, one that trains the tool result does not."""
    tokenizer = _with_tokens(load_tokenizer_or_skip("qwen2.5-instruct"), "<|assistant|>", "<|user|>", "<|observation|>")
    tokenizer.chat_template = OBSERVATION_AFTER
    oracle = build_oracle(tokenizer, CALL_MESSAGES, TOOLS)
    pieces = [oracle.text[a:b] for a, b in oracle.offsets]
    assert oracle.expected[pieces.index("<|observation|>")] is Expect.EITHER
    assert oracle.expected[pieces.index("</tool_call>")] is Expect.TRAIN
    for stops in (["<|observation|>", "<|user|>"], ["</tool_call>", "<|user|>"]):
        assert judge(reference.correct_masker(tokenizer, stops), tokenizer, CALL_MESSAGES, TOOLS)[1] == [], stops
    result = range(pieces.index("<|observation|>") + 2, pieces.index("<|assistant|>", pieces.index("<|observation|>")))
    tool_result = lambda m, t: {"input_ids": oracle.input_ids,  # noqa: E731
                                "labels": [i if e is not Expect.SKIP or k in result else -100
                                           for k, (i, e) in enumerate(zip(oracle.input_ids, oracle.expected))]}
    assert judge(tool_result, tokenizer, CALL_MESSAGES, TOOLS)[1]


def test_a_content_that_spells_the_forced_opening_leaves_it_either(load_tokenizer_or_skip):
    """The prompt forces "<think>\\n"; a content that opens with "<think>" renders the same text: prompt or sample,
    either label, and the rest of the content is trained."""
    tokenizer = load_tokenizer_or_skip("qwen3")
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "<think>\nok"}]
    tokenizer.chat_template = (TURN + "<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
                               "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}")
    oracle = build_oracle(tokenizer, messages)
    pieces = [oracle.text[a:b] for a, b in oracle.offsets]
    assert oracle.expected[pieces.index("<think>")] is Expect.EITHER
    assert oracle.expected[pieces.index("ok")] is Expect.TRAIN


QUOTED_CALLS = (  # Gemma-4-like: no generation prompt after a tool result; string arguments quoted by a special token
    TURN + "{% if m.role == 'assistant' %}{% if loop.index0 == 1 %}<|turn>model\n{% endif %}{% if m.tool_calls %}"
    "{% for c in m.tool_calls %}<|tool_call>{{ c.function.name }}{<|\"|>{{ c.function.arguments.city }}<|\"|>}"
    "<tool_call|>{% endfor %}{% else %}{{ m.content }}<turn|>\n{% endif %}"
    "{% elif m.role == 'tool' %}<|tool_response>{{ m.content }}<tool_response|>"
    "{% else %}<|turn>{{ m.role }}\n{{ m.content }}<turn|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt and messages[-1].role != 'tool' %}<|turn>model\n{% endif %}"
)


def test_a_closing_token_of_an_earlier_call_does_not_end_the_next_one(load_tokenizer_or_skip):
    """Where the generation prompt adds nothing, the tokens that open the next turn are those written after the last
    message's text, not every special token near the prompt's end: the earlier call's <tool_call|> made the second
    call end at its closing <|"|>."""
    tokenizer = _with_tokens(load_tokenizer_or_skip("qwen2.5-instruct"), "<|turn>", "<turn|>", "<|tool_call>",
                             "<tool_call|>", "<|tool_response>", "<tool_response|>", '<|"|>')
    tokenizer.chat_template = QUOTED_CALLS
    call = lambda n, city: {"id": f"c{n}", "type": "function",  # noqa: E731
                            "function": {"name": "get_weather", "arguments": {"city": city}}}
    messages = [{"role": "user", "content": "Oslo and Rome?"},
                {"role": "assistant", "content": "", "tool_calls": [call(1, "Oslo")]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
                {"role": "assistant", "content": "", "tool_calls": [call(2, "Rome")]},
                {"role": "tool", "tool_call_id": "c2", "content": "rain"},
                {"role": "assistant", "content": "Sunny, then rain."}]
    oracle = build_oracle(tokenizer, messages, TOOLS)
    second = next(t for t in oracle.turns if t.message_index == 3)
    assert oracle.text[second.start : second.end] == '<|tool_call>get_weather{<|"|>Rome<|"|>}<tool_call|>', second
