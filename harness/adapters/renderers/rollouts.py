"""A scripted rollout through a renderer (token in / token out), as a ``harness.rollouts.episodes.Episode``.

``rollout_episode`` prompts turn by turn with ``bridge_to_next_turn`` (the full ``render`` as fallback, as the
verifiers train client does) and trains each step with ``build_trajectory_step``.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.adapters.renderers.renderer import copied_messages, copied_tools


def rollout_episode(tokenizer, renderer, messages: Sequence[dict], tools=None, *, completions=None):
    """One scripted rollout of ``messages`` through ``renderer``, as an RL pipeline built on renderers runs it.

    Turn by turn: the model's prompt is ``bridge_to_next_turn(previous prompt, previous completion, new
    messages)`` (``render(..., add_generation_prompt=True)`` when the bridge declines or for the first turn); the
    scripted model samples ``completions[k]`` (default: ``rollout_shapes.scripted_completion``, from the
    tokenizer's own template), recorded at that boundary. Training: one ``build_trajectory_step`` per assistant
    turn (its ``prompt_ids + completion_ids`` with ``completion_mask``), the RL split at the common prefix.
    ``incremental_ids``: the last model prompt + last completion; ``full_ids``: ``render(messages)``.
    ``episode.bridged`` lists, per turn after the first, whether the bridge extended the sampled tokens."""
    from renderers import build_trajectory_step

    from harness.rollouts.shapes import scripted_completion
    from harness.rollouts.episodes import Episode, SampledTurn, TrainingSample

    messages, tools = copied_messages(messages), copied_tools(tools)
    assistant = [k for k, m in enumerate(messages) if m["role"] == "assistant"]
    turns, samples, bridged = [], [], []
    previous: tuple[list[int], list[int], int] | None = None
    for n, k in enumerate(assistant):
        prompt_ids = None
        if previous is not None:
            prev_prompt, prev_completion, prev_k = previous
            result = renderer.bridge_to_next_turn(prev_prompt, prev_completion, messages[prev_k + 1 : k], tools=tools)
            bridged.append(result is not None)
            if result is not None:
                prompt_ids = list(result.token_ids)
        if prompt_ids is None:
            prompt_ids = list(renderer.render(messages[:k], tools=tools, add_generation_prompt=True).token_ids)
        completion = list(completions[n]) if completions is not None else scripted_completion(tokenizer, messages, tools, k)
        turns.append(SampledTurn(tuple(prompt_ids), tuple(completion)))
        step = build_trajectory_step(renderer, messages[:k], [messages[k]], tools=tools)
        ids = tuple(step["prompt_ids"]) + tuple(step["completion_ids"])
        samples.append(TrainingSample(ids, tuple(bool(x) for x in list(step["prompt_mask"]) + list(step["completion_mask"]))))
        previous = (prompt_ids, completion, k)
    full = tuple(renderer.render(messages, tools=tools).token_ids)
    episode = Episode(
        pipeline=f"renderers/{type(renderer).__name__}",
        turns=tuple(turns),
        samples=tuple(samples),
        incremental_ids=turns[-1].prompt_ids + turns[-1].completion_ids,
        full_ids=full,
        declared_samples=len(samples),  # build_trajectory_step: one sample per step, by design
    )
    object.__setattr__(episode, "bridged", tuple(bridged))
    return episode
