"""renderers' training-token builders as maskers under harness.check_masker, each with its documented convention
as a Policy (``harness.adapters.renderers.maskers``)."""

from __future__ import annotations

import pytest

from harness.masking.check import check_masker, judge
from harness.strategies import conversations_for

EXAMPLES = 12
TYPED = ["qwen3", "llama-3.1-instruct", "llama-3.2-instruct"]


def _maskers():
    from harness.adapters import renderers as ra

    return {
        "sampled_mask": lambda r: ra.training_sample_masker(r),
        "message_loss_mask_last": lambda r: ra.training_sample_masker(r, message_loss_mask=ra.last_message_only),
        "ensure_final_stop": lambda r: ra.training_sample_masker(r, ensure_final_stop=True),
        "role_to_mask_assistant": lambda r: ra.training_sample_masker(r, role_to_mask=lambda m: m["role"] == "assistant"),
    }


def _cases():
    # Every option on Qwen3 and Llama 3.2; Llama 3.1 (same renderer class as 3.2) with the default only, for the budget.
    for name in TYPED:
        for option in _maskers():
            if name != "llama-3.1-instruct" or option == "sampled_mask":
                yield name, option


@pytest.mark.parametrize("name, option", list(_cases()))
def test_build_training_sample_properties(renderer_of, name, option):
    """hard_text=False: content spelling '</think>' is covered by its own test below."""
    tokenizer, renderer = renderer_of(name)
    masker = _maskers()[option](renderer)
    report = check_masker(masker, tokenizer, max_examples=EXAMPLES, policy=masker.policy,
                          conversations=conversations_for(tokenizer, hard_text=False))
    assert report.passed, str(report)


@pytest.mark.xfail(strict=True, reason=(
    "renderers 0.1.12 bug, docs/findings/renderers-qwen3-renderer-keeps-text-the-template-drops-between-think-ends.md: "
    "the Qwen3 template takes the answer after the LAST '</think>', Qwen3Renderer after the FIRST, so content "
    "'x</think>\\ny</think>\\nz' renders and trains 'y' (88) '</think>' (151668) '\\n' (198) between '</think>' "
    "(151668) '\\n\\n' (271) and 'z' (89), which the template drops"))
def test_qwen3_renderer_matches_template_when_content_spells_think_end(renderer_of):
    tokenizer, renderer = renderer_of("qwen3")
    masker = _maskers()["sampled_mask"](renderer)
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x</think>\ny</think>\nz"}]
    _, failures = judge(masker, tokenizer, messages, policy=masker.policy)
    assert not failures, failures[0]


@pytest.mark.xfail(strict=True, reason=(
    "renderers 0.1.12 bug, docs/findings/renderers-qwen3-renderer-strips-user-content-before-the-tool-response-check.md: "
    "Qwen3Renderer strips a user content before testing '<tool_response>...</tool_response>', the Qwen3 template does "
    "not, so after a user message '<tool_response>\\n7\\n</tool_response>\\n' the renderer keeps and trains the earlier "
    "turn's '<think>' (151667) '\\n' (198) 'r' (81) '\\n' (198) '</think>' (151668) '\\n\\n' (271), which the template drops"))
def test_qwen3_renderer_matches_template_when_a_user_message_holds_a_tool_result(renderer_of):
    tokenizer, renderer = renderer_of("qwen3")
    masker = _maskers()["sampled_mask"](renderer)
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "reasoning_content": "r"},
                {"role": "user", "content": "<tool_response>\n7\n</tool_response>\n"}, {"role": "assistant", "content": "b"}]
    _, failures = judge(masker, tokenizer, messages, policy=masker.policy)
    assert not failures, failures[0]


def test_qwen3_renderer_agrees_with_the_template_on_an_unpadded_tool_result_in_a_user_message(renderer_of):
    """The control for the xfail above: without the trailing newline, renderer and template agree."""
    tokenizer, renderer = renderer_of("qwen3")
    masker = _maskers()["sampled_mask"](renderer)
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "reasoning_content": "r"},
                {"role": "user", "content": "<tool_response>\n7\n</tool_response>"}, {"role": "assistant", "content": "b"}]
    _, failures = judge(masker, tokenizer, messages, policy=masker.policy)
    assert not failures, failures[0]


def test_trajectory_step_masker_on_llama(renderer_of):
    tokenizer, renderer = renderer_of("llama-3.1-instruct")
    from harness.adapters.renderers import trajectory_step_masker

    masker = trajectory_step_masker(renderer)
    report = check_masker(masker, tokenizer, max_examples=EXAMPLES, policy=masker.policy,
                          conversations=conversations_for(tokenizer, hard_text=False))
    assert report.passed, str(report)


@pytest.mark.xfail(strict=True, reason=(
    "renderers 0.1.12 bug, docs/findings/renderers-build-trajectory-step-trains-the-glue-after-the-stop-token.md: "
    "build_trajectory_step's completion_mask is True over the full render after the common prefix, so the '\\n' "
    "(198) the Qwen3 template writes after '<|im_end|>' (151645) is trained; Qwen3Renderer's own sampled_mask "
    "marks it not sampled"))
def test_trajectory_step_masker_on_qwen3(renderer_of):
    tokenizer, renderer = renderer_of("qwen3")
    from harness.adapters.renderers import trajectory_step_masker

    masker = trajectory_step_masker(renderer)
    report = check_masker(masker, tokenizer, max_examples=EXAMPLES, policy=masker.policy,
                          conversations=conversations_for(tokenizer, hard_text=False))
    assert report.passed, str(report)


def test_default_renderer_role_to_mask_trains_the_assistant_header(renderer_of):
    """Documented fallback (no sampled_mask): every token attributed to the assistant is trained, the
    '<|im_start|>assistant\\n' header and the glue included. No Policy field spells 'header trained' yet
    (Policy(train_assistant_header=...), issue 8), so this is asserted directly."""
    from harness.adapters.renderers import training_sample_masker

    tokenizer, renderer = renderer_of("qwen2.5-instruct")
    assert type(renderer).__name__ == "DefaultRenderer"
    masker = training_sample_masker(renderer, role_to_mask=lambda m: m["role"] == "assistant")
    assert masker.policy is None
    out = masker([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], None)
    trained = tokenizer.decode([t for t, m in zip(out["input_ids"], out["loss_mask"]) if m])
    assert trained == "<|im_start|>assistant\na<|im_end|>\n"
    with pytest.raises(ValueError, match="role_to_mask is required"):
        training_sample_masker(renderer)([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], None)


def test_content_sft_roles_trains_tool_bodies_only(renderer_of):
    """content_sft_roles={'tool'}: the tool body is trained, its '<tool_response>' wrap and header are not."""
    from harness.adapters.renderers import training_sample_masker
    from harness.rollouts.shapes import conversation

    tokenizer, renderer = renderer_of("qwen3")
    messages, tools = conversation("tool")
    masker = training_sample_masker(renderer, role_to_mask=lambda m: m["role"] == "assistant", content_sft_roles={"tool"})
    plain = training_sample_masker(renderer, role_to_mask=lambda m: m["role"] == "assistant")
    out, base = masker(messages, tools), plain(messages, tools)
    extra = [t for t, m, b in zip(out["input_ids"], out["loss_mask"], base["loss_mask"]) if m and not b]
    assert tokenizer.decode(extra) == "2472"  # the two tool results' bodies, nothing else
