"""transformers' ``return_assistant_tokens_mask`` over ``{% generation %}`` templates, through check_masker.

Where a template's generation block deliberately covers text the model does not generate, the
convention is named in the Policy; where it trains prompt text, the test is a strict xfail naming
the tokens, so an upgrade that fixes the template turns it into a failure to be noticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.adapters.transformers import assistant_tokens_mask_masker
from harness.masking.check import check_masker
from harness.masking.oracle import Policy


def trl_template(filename: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec("trl")
    path = Path(spec.origin).parent / "chat_templates" / filename
    if not path.is_file():
        pytest.skip(f"trl no longer ships {filename}")
    return path.read_text(encoding="utf-8")


# (tokenizer, trl training template, the conventions that template follows on purpose)
CONVENTIONS = [
    # trl's Qwen templates close the generation block after the "\n" that follows <|im_end|>: the
    # documented convention Policy.train_glue_after_stop.
    pytest.param(
        "qwen2.5-instruct", "qwen2_5_training.jinja", Policy(train_glue_after_stop=True),
        marks=pytest.mark.xfail(strict=True, reason=(
            "trl 1.16.0 bug: qwen2_5_training.jinja opens {% generation %} before the '\\n' (id 198) that ends "
            "the '<|im_start|>assistant\\n' generation prompt, so that prompt token is trained in every turn "
            "(docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-newline.md)")),
    ),
    ("qwen3", "qwen3_training.jinja", Policy(train_glue_after_stop=True)),
    ("llama-3.1-instruct", "llama3_training.jinja", Policy()),
    pytest.param(
        "gpt-oss-20b", "gptoss_training.jinja", Policy(),
        marks=pytest.mark.xfail(strict=True, reason=(
            "gptoss_training.jinja puts the assistant header inside {% generation %}: tokens '<|start|>' "
            "(200006) and 'assistant' (173781) before '<|channel|>final' are trained, though the generation "
            "prompt writes them (docs/findings/trl-gptoss-training-template-trains-assistant-header.md)")),
    ),
]


@pytest.mark.parametrize(
    "name, template, policy", CONVENTIONS, ids=["qwen2.5-instruct", "qwen3", "llama-3.1-instruct", "gpt-oss-20b"]
)
def test_trl_training_template_mask(name, template, policy, load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip(name)
    tokenizer.chat_template = trl_template(template)
    report = check_masker(assistant_tokens_mask_masker(tokenizer), tokenizer, max_examples=25, policy=policy)
    assert report.passed, str(report)


@pytest.mark.xfail(
    strict=True,
    reason="SmolLM3's own template wraps the whole turn in {% generation %}: the header tokens "
    "'<|im_start|>' (128011), 'assistant' (78191), '\\n' (198) are trained, and the '\\n' after "
    "'<|im_end|>' too",
)
def test_smollm3_generation_tags_mask(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("smollm3-3b")
    report = check_masker(
        assistant_tokens_mask_masker(tokenizer), tokenizer, max_examples=25, policy=Policy(train_glue_after_stop=True)
    )
    assert report.passed, str(report)


def test_template_without_generation_tags_trains_nothing(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    report = check_masker(assistant_tokens_mask_masker(tokenizer), tokenizer, max_examples=5)
    assert {f.property for f in report.failures} >= {"assistant_turns_fully_trained"} or {
        f.property for f in report.failures
    } >= {"stop_token_trained"}


WORD_TEMPLATE = (
    "{% for m in messages %}{% if m.role == 'assistant' %}<A> {% generation %}{{ m.content }} {% endgeneration %}"
    "{% else %}<U> {{ m.content }} {% endif %}{% endfor %}"
)


def test_assistant_mask_stops_at_a_span_that_ends_in_a_space():
    """transformers >= 5.24 masks the tokens overlapping each {% generation %} span. 5.23 and before looked up
    the token at the span's last character; a space belongs to no token here, so the mask ran on to the end of
    the conversation and trained the next user turn ('<U>', 'ok')."""
    from harness.adapters.transformers import word_level_tokenizer

    tokenizer = word_level_tokenizer(["<A>", "<U>", "hi", "yo", "ok", "fine"], WORD_TEMPLATE)
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                {"role": "user", "content": "ok"}, {"role": "assistant", "content": "fine"}]
    out = assistant_tokens_mask_masker(tokenizer)(messages, None)
    tokens = tokenizer.convert_ids_to_tokens(out["input_ids"])
    assert tokens == ["<U>", "hi", "<A>", "yo", "<U>", "ok", "<A>", "fine"]
    assert [t for t, m in zip(tokens, out["assistant_masks"]) if m] == ["yo", "fine"]


def test_content_none_renders_no_text(load_tokenizer_or_skip):
    """transformers >= 5.23 drops message keys whose value is None; 5.22.2 and before rendered the string 'None'."""
    from harness.adapters.transformers import render

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    tokenizer.chat_template = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
    assert render(tokenizer, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]) == (
        "[user]hi[assistant]"
    )


def test_reasoning_field_renders_a_think_block(load_tokenizer_or_skip):
    """transformers >= 5.21 copies 'reasoning' / 'thinking' into 'reasoning_content' before rendering, so Qwen3
    renders it as <think>...</think>; 5.20.2 rendered no think block."""
    from harness.adapters.transformers import render

    tokenizer = load_tokenizer_or_skip("qwen3")
    text = render(tokenizer, [{"role": "user", "content": "2+2?"},
                              {"role": "assistant", "content": "4", "reasoning": "two and two"}])
    assert "<think>\ntwo and two\n</think>" in text, text
