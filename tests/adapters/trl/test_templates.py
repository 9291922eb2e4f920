"""The chat templates trl ships for assistant-only loss (``trl/chat_templates/*_training.jinja``), on real
tokenizers: what their ``{% generation %}`` blocks train against what the generation prompt writes."""

from __future__ import annotations

import pytest

from harness.adapters.transformers import assistant_tokens_mask_masker, encode_with_offsets, render

# DeepSeek-R1-Distill writes a tool call as text in its own format (its template's structured branch needs
# content None, a key transformers >= 5.23 drops); the turn after the tool result is what is checked here.
DEEPSEEK_CALL = ("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>lookup\n```json\n"
                 '{"key": "k7"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>')
DEEPSEEK_TOOL_CONVERSATION = [
    {"role": "user", "content": "Find k7."},
    {"role": "assistant", "content": DEEPSEEK_CALL},
    {"role": "tool", "content": "93"},
    {"role": "assistant", "content": "It is 93."},
]


@pytest.fixture
def deepseek_training(load_tokenizer_or_skip):
    from harness.adapters.trl._private import shipped_chat_templates

    tokenizer = load_tokenizer_or_skip("deepseek-r1-distill-qwen-1.5b")
    found = [p for p in shipped_chat_templates() if p.name == "deepseek_r1_distill_training.jinja"]
    if not found:
        pytest.skip("trl no longer ships deepseek_r1_distill_training.jinja")
    tokenizer.chat_template = found[0].read_text(encoding="utf-8")
    return tokenizer


def _answer_after_tool(tokenizer) -> tuple[str, str]:
    """(the prompt the model answers after the tool result, the text trained from the end of that tool result)."""
    prompt = render(tokenizer, DEEPSEEK_TOOL_CONVERSATION[:3], add_generation_prompt=True)
    full = render(tokenizer, DEEPSEEK_TOOL_CONVERSATION)
    out = assistant_tokens_mask_masker(tokenizer)(DEEPSEEK_TOOL_CONVERSATION, None)
    ids, offsets = encode_with_offsets(tokenizer, full)
    assert ids == list(out["input_ids"])
    tool_end = full.rindex("<｜tool▁output▁end｜>") + len("<｜tool▁output▁end｜>")
    trained = [i for i, (mask, (_, end)) in enumerate(zip(out["assistant_masks"], offsets)) if mask and end > tool_end]
    return prompt, full[max(offsets[trained[0]][0], tool_end):offsets[trained[-1]][1]]


def test_deepseek_r1_distill_generation_prompt_after_a_tool_result_writes_tool_outputs_end(deepseek_training):
    """Pins the premise of the xfail below: after a tool result the generation prompt itself writes
    '<｜tool▁outputs▁end｜>' (and no '<｜Assistant｜>'), so the model's answer starts after it."""
    prompt, _ = _answer_after_tool(deepseek_training)
    assert prompt.endswith("93<｜tool▁output▁end｜><｜tool▁outputs▁end｜>")
    assert render(deepseek_training, DEEPSEEK_TOOL_CONVERSATION).startswith(prompt)


@pytest.mark.xfail(strict=True, reason=(
    "trl 1.16.0 bug: deepseek_r1_distill_training.jinja renders '<｜tool▁outputs▁end｜>' inside {% generation %} "
    "at the start "
    "of the assistant turn after a tool result, though the generation prompt writes it; with the "
    "deepseek-r1-distill-qwen-1.5b tokenizer (which has no special token for it) the trained prompt tokens are "
    "'><' (1784) '｜' (130957) 'tool' (14172) '▁' (10417, 223) 'outputs' (41006) '▁' (10417, 223) 'end' (408) "
    "'｜' (130957) '>' (29) before the answer 'It' (2132); "
    "docs/findings/trl-deepseek-r1-distill-training-template-trains-assistant-role-token.md"))
def test_deepseek_r1_distill_training_template_trains_only_the_answer_after_a_tool_result(deepseek_training):
    _, trained = _answer_after_tool(deepseek_training)
    assert trained == "It is 93.<｜end▁of▁sentence｜>"
