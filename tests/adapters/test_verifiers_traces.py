"""The H07 family: every token-in/token-out property (harness.rollouts.episodes) over each RL pipeline x conversation shape.

Pipelines: ``renderers`` (turn-by-turn ``bridge_to_next_turn`` prompts, trained per step by
``build_trajectory_step``), ``verifiers`` (a v1 ``Trace`` built by ``prepare_turn`` / ``commit`` from scripted
responses; trained per ``Trace.branches``), ``trl`` (GRPOTrainer's own generation and tool loop with a scripted
model, ``harness.adapters.trl.scripted_grpo_episode``; its tool rollout ends at the first answer, since trl injects
no user turns; run on the templates trl has a tool-call parser for, to keep the CPU budget). Shapes: ``gsm8k`` (single step) and ``tool`` (multi step,
two tool calls and a follow-up user turn). A failure names the shape, the pipeline and the tokens.
"""

from __future__ import annotations

import pytest

from harness.rollouts.shapes import SHAPES, conversation
from harness.rollouts.episodes import assert_episode, episode_problems

TOKENIZERS = ["qwen2.5-instruct", "qwen3", "deepseek-r1-distill-qwen-1.5b", "llama-3.1-instruct", "llama-3.2-instruct",
              "gemma-2-it", "gemma-3-it", "gpt-oss-20b", "phi-3.5-mini-instruct", "smollm3-3b", "aya-expanse"]
PIPELINES = ("renderers", "verifiers", "trl")
TRL_TOKENIZERS = ("qwen2.5-instruct", "qwen3", "llama-3.2-instruct", "gpt-oss-20b")

GLUE = ("renderers 0.1.12 bug, docs/findings/renderers-build-trajectory-step-trains-the-glue-after-the-stop-token.md: "
        "build_trajectory_step marks every completion token trained (completion_mask=[True]*n) and the completion is "
        "the full render after the common prefix, so the template's glue after the stop token is trained: {tokens}, "
        "which the model never samples (it stops at the stop token)")
BUGS = {
    ("renderers", "qwen2.5-instruct"): GLUE.format(tokens="'\\n' (198) after '<|im_end|>' (151645)"),
    ("renderers", "qwen3"): GLUE.format(tokens="'\\n' (198) after '<|im_end|>' (151645)"),
    ("renderers", "smollm3-3b"): GLUE.format(tokens="'\\n' (198) after '<|im_end|>' (128012)"),
    ("renderers", "gemma-2-it"): GLUE.format(tokens="'\\n' (108) after '<end_of_turn>' (107)"),
    ("renderers", "gemma-3-it"): GLUE.format(tokens="'\\n' (107) after '<end_of_turn>' (106)"),
    ("renderers", "deepseek-r1-distill-qwen-1.5b"): (
        "renderers convention (index line renderers-build-trajectory-step-trains-deepseek-r1-answers-without-the-think-prompt): "
        "build_trajectory_step rebuilds a step from messages (upstream uses it only for steps without token ids); the "
        "prompt the model saw ends '<｜Assistant｜>' (151645) '<think>' (151648) '\\n' (198), the R1 template's render of "
        "the finished turn has no '<think>\\n', so this harness's sampled-rollout pipeline trains the answer after "
        "'<｜Assistant｜>'"),
    ("renderers", "phi-3.5-mini-instruct"): (
        "renderers 0.1.12 bug, docs/findings/renderers-build-trajectory-step-trains-the-glue-after-the-stop-token.md: "
        "'<|endoftext|>' (32000) after '<|end|>' (32007) is trained; and the convention (index line "
        "renderers-build-trajectory-step-retokenizes-the-completion): build_trajectory_step rebuilds the completion from "
        "the message text, the template's 'In' (797) after '<|assistant|>' (32001) where this harness's scripted sampler "
        "produced '▁In' (512)"),
    ("verifiers", "qwen3", "tool"): (
        "renderers convention (index line renderers-qwen3-rollout-splits-into-branches-after-a-user-turn): "
        "Qwen3Renderer declines the bridge at the follow-up user turn (derived thinking retention 'tool_cycle'; "
        "thinking_retention='all' bridges it) and the full re-render drops the sampled '<think>' (151667) '\\n\\n' "
        "(271) '</think>' (151668) '\\n\\n' (271) of the earlier turns at position 172, so commit splits the one "
        "rollout into 2 branches (2 training samples)"),
}


def _skip_reason(renderer_error, tokenizer, renderer, pipeline, shape):
    from harness.adapters.renderers import renderer_supports_tools

    if renderer_error and pipeline != "trl":
        return renderer_error
    if shape == "tool":
        from harness.masking.template_probe import probe_template

        if not probe_template(tokenizer).tools:
            return "the chat template cannot render tool conversations"
        if pipeline == "verifiers" and not renderer_supports_tools(renderer):
            return "DefaultRenderer without a tool parser refuses tools in renderers.client.generate"
    return None


def _episode(pipeline, tokenizer, renderer, shape):
    from harness.adapters.renderers import rollout_episode
    from harness.adapters.verifiers import scripted_trace_episode

    if pipeline == "trl":
        from harness.adapters.trl import scripted_grpo_episode

        return scripted_grpo_episode(tokenizer, shape)
    messages, tools = conversation(shape)
    build = rollout_episode if pipeline == "renderers" else scripted_trace_episode
    return build(tokenizer, renderer, messages, tools)


def _params():
    for name in TOKENIZERS:
        for pipeline in PIPELINES:
            if pipeline == "trl" and name not in TRL_TOKENIZERS:
                continue
            for shape in SHAPES:
                reason = BUGS.get((pipeline, name, shape)) or BUGS.get((pipeline, name))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                yield pytest.param(name, pipeline, shape, marks=marks, id=f"{pipeline}-{shape}-{name}")


@pytest.mark.parametrize("name, pipeline, shape", list(_params()))
def test_token_io_properties(renderer_of, load_tokenizer_or_skip, name, pipeline, shape):
    from harness.adapters.renderers import RendererUnavailable

    tokenizer, renderer, error = load_tokenizer_or_skip(name), None, None
    try:
        _, renderer = renderer_of(name)
    except RendererUnavailable as unavailable:  # trl's pipeline needs no renderer
        error = f"renderer unavailable offline: {unavailable}"
    reason = _skip_reason(error, tokenizer, renderer, pipeline, shape)
    if reason:
        pytest.skip(reason)
    assert_episode(_episode(pipeline, tokenizer, renderer, shape), tokenizer)


def test_verifiers_branch_tokens_are_exactly_what_the_model_saw_and_sampled(renderer_of):
    """Llama 3 bridges every turn: one branch whose ids are the last prompt + last completion, trained exactly on the
    four sampled completions."""
    tokenizer, renderer = renderer_of("llama-3.2-instruct")
    episode = _episode("verifiers", tokenizer, renderer, "tool")
    assert episode.bridged == (True, True, True)
    (branch,) = episode.trace.branches
    assert list(branch.token_ids) == list(episode.turns[-1].prompt_ids + episode.turns[-1].completion_ids)
    assert sum(branch.sampled_mask) == sum(len(t.completion_ids) for t in episode.turns)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_planted_bugs_fire_on_real_episodes(renderer_of, pipeline):
    """Each property fails on a real episode with a planted bug: a tool result trained, the last stop token
    untrained, a sampled token rewritten in the trained sequence, a duplicated branch."""
    import dataclasses

    from harness.rollouts.episodes import TrainingSample

    tokenizer, renderer = renderer_of("llama-3.2-instruct")
    episode = _episode(pipeline, tokenizer, renderer, "tool")
    assert_episode(episode, tokenizer)
    sample = episode.samples[-1]
    ids, trained = list(sample.token_ids), list(sample.trained)
    tool_body = ids.index(tokenizer.convert_tokens_to_ids("<|start_header_id|>"), len(episode.turns[0].prompt_ids) + 1)
    stop = max(i for i, t in enumerate(trained) if t)

    def planted(**change):
        return dataclasses.replace(episode, samples=episode.samples[:-1] + (TrainingSample(**change),))

    cases = {
        "injected_token_trained": planted(token_ids=tuple(ids), trained=tuple(t or i == tool_body for i, t in enumerate(trained))),
        "sampled_token_not_trained": planted(token_ids=tuple(ids), trained=tuple(t and i != stop for i, t in enumerate(trained))),
        "sampled_token_missing": planted(token_ids=tuple(ids[:stop - 1] + [ids[stop - 1] + 1] + ids[stop:]), trained=tuple(trained)),
        "silent_new_branch": dataclasses.replace(episode, samples=episode.samples + (sample,), declared_samples=len(episode.samples)),
    }
    for name, broken in cases.items():
        found = {p.name for p in episode_problems(broken, tokenizer) if not p.hazard}
        assert name in found, (name, found)
        with pytest.raises(AssertionError, match=name):
            assert_episode(broken, tokenizer)
