"""Training traces from scripted responses: a verifiers v1 ``Trace`` as a ``harness.rollouts.episodes.Episode``.

``scripted_trace_episode`` builds the trace with the library's own ``prepare_turn`` / ``commit``. Each turn follows
verifiers' renderer train client (``RendererClient.get_response``): bridge the stored prefix with
``renderer.bridge_to_next_turn`` when the tail allows it, else ``render(add_generation_prompt=True)``; then
renderers' client ``generate`` against a scripted in-process "server" that returns the given completion ids (no
network; ``harness.adapters.renderers.scripted_generate``), ``response_from_generate`` and ``PendingTurn.commit``.
``Trace.branches`` (``token_ids``, ``sampled_mask``) is what a prime-rl style trainer consumes.

verifiers is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations


def _typed(message: dict, call_ids: list[str]):
    from verifiers.v1.types import SystemMessage, ToolMessage, UserMessage

    role = message["role"]
    if role == "system":
        return SystemMessage(content=message["content"])
    if role == "user":
        return UserMessage(content=message["content"])
    if role == "tool":
        # The issuing call's id as the model's parsed response named it.
        call_id = call_ids.pop(0) if call_ids else message.get("tool_call_id", "call_0")
        return ToolMessage(tool_call_id=call_id, content=message["content"], name=message.get("name"))
    raise ValueError(f"not an input message: {role}")


def scripted_trace_episode(tokenizer, renderer, messages, tools=None, *, completions=None):
    """A verifiers v1 trace of ``messages`` with scripted assistant turns, as a ``harness.rollouts.episodes.Episode``.

    Assistant messages of ``messages`` are never sent: at each one the scripted model returns
    ``completions[k]`` (default: ``rollout_shapes.scripted_completion``, from the tokenizer's own template) and the
    history continues with verifiers' parse of it. ``episode.trace`` is the Trace; ``episode.bridged`` says per turn
    after the first whether the renderer bridge extended the stored prefix."""
    import asyncio

    from verifiers.v1.clients.train import _is_valid_incremental_tail, response_from_generate, tool_to_wire
    from verifiers.v1.dialects.chat import message_to_wire
    from verifiers.v1.graph import prepare_turn
    from verifiers.v1.trace import AgentInfo, Trace, TraceTask
    from verifiers.v1.types import Tool

    from harness.adapters.renderers import scripted_generate
    from harness.rollouts.episodes import Episode, SampledTurn, TrainingSample
    from harness.rollouts.shapes import scripted_completion

    messages = [dict(m) for m in messages]
    typed_tools = [Tool(name=t["function"]["name"], description=t["function"].get("description", ""),
                        parameters=t["function"].get("parameters", {})) for t in tools or []]
    wire_tools = [tool_to_wire(t) for t in typed_tools] or None
    trace = Trace(task=TraceTask(type="scripted", data={}), agent=AgentInfo(config={}))
    history, call_ids, turns, bridged = [], [], [], []
    n = 0
    for k, message in enumerate(messages):
        if message["role"] != "assistant":
            history.append(_typed(message, call_ids))
            continue
        completion = list(completions[n]) if completions is not None else scripted_completion(tokenizer, messages, tools, k)
        turn = prepare_turn(trace, list(history), typed_tools)
        wire_messages = [message_to_wire(m) for m in history]
        wire_tail = [message_to_wire(m) for m in turn.tail]
        previous = turn.previous_renderer_token_ids() if _is_valid_incremental_tail(wire_tail) else None
        prompt_ids, attribution, bridged_turn = None, None, None
        if previous is not None:
            result = renderer.bridge_to_next_turn(previous[0], previous[1], wire_tail, tools=wire_tools)
            if result is not None:
                prompt_ids, attribution, bridged_turn = list(result.token_ids), result, turn
        if n > 0:
            bridged.append(bridged_turn is not None)
        if prompt_ids is None:
            attribution = renderer.render(wire_messages, tools=wire_tools, add_generation_prompt=True)
            prompt_ids = list(attribution.token_ids)
        result, sent_ids = asyncio.run(scripted_generate(renderer, wire_messages, completion, prompt_ids=prompt_ids,
                                                         prompt_attribution=attribution, tools=wire_tools))
        response = response_from_generate(result, "scripted", bridged_turn)
        turn.commit(response)
        turns.append(SampledTurn(tuple(sent_ids), tuple(completion)))
        history.append(response.message)
        call_ids = [c.id for c in response.message.tool_calls or []]
        n += 1
    final = [message_to_wire(m) for m in history]
    full = tuple(renderer.render(final, tools=wire_tools).token_ids)
    episode = Episode(
        pipeline=f"verifiers/{type(renderer).__name__}",
        turns=tuple(turns),
        samples=tuple(TrainingSample(tuple(b.token_ids), tuple(b.sampled_mask)) for b in trace.branches if b.trainable),
        incremental_ids=turns[-1].prompt_ids + turns[-1].completion_ids,
        full_ids=full,
        declared_samples=1,  # a linear conversation: one branch
    )
    object.__setattr__(episode, "trace", trace)
    object.__setattr__(episode, "bridged", tuple(bridged))
    return episode
