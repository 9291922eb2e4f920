"""Everything the harness asks of ``verifiers`` (v1 API, verifiers>=0.4): an exact-match
environment evaluated against an OpenAI-compatible endpoint, fully offline.

verifiers 0.4 has no trainer; as an evaluator it runs ``vf-eval``'s runner (``run_eval``) over an
``EvalConfig``. Offline that needs:

* the ``subprocess`` runtime (the default agent runtime is Prime's remote sandbox);
* an in-process harness loop: the stock chat harnesses (``null``, ``bash``) launch a
  ``uv``-installed program, which needs the network; ``InProcessChatHarness`` makes the model call
  from this process through the rollout's interception endpoint, which the harness contract allows;
* ``push=False`` (no upload) and ``rich=None`` (no live dashboard);
* plugin modules that export their Taskset / Harness subclass via ``__all__`` and import under a
  plain (undotted) id: ``_import_plugin`` probes ``verifiers.v1.tasksets.<id>`` with
  ``importlib.util.find_spec``, which RAISES for a dotted id such as ``harness.adapters.verifiers``
  instead of returning None. This module therefore registers itself as ``PLUGIN_ID``.

Training traces (``scripted_trace_episode``): a verifiers v1 ``Trace`` built with the library's own
``prepare_turn`` / ``commit`` from scripted model responses. Each turn follows verifiers' renderer train client
(``RendererClient.get_response``): bridge the stored prefix with ``renderer.bridge_to_next_turn`` when the tail
allows it, else ``render(add_generation_prompt=True)``; then ``renderers.client.generate`` against a scripted
in-process "server" that returns the given completion ids (no network), ``response_from_generate`` and
``PendingTurn.commit``. ``Trace.branches`` (``token_ids``, ``sampled_mask``) is what a prime-rl style trainer
consumes; it becomes a ``harness.rollouts.episodes.Episode``.

The endpoint is the caller's ``base_url``: the in-process loopback server
(``harness.evaluation.chat_server.serve_chat_model``) for a model under test, or a vLLM server.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLUGIN_ID = "harness_exact_match_env"

__all__ = ["scripted_trace_episode", "ExactMatchTaskset", "InProcessChatHarness", "VerifiersEvalResult", "evaluate_exact_match", "reply_matches", "PLUGIN_ID"]

MATCH_MODES = ("exact", "answer_tag")


def reply_matches(reply: str, answer: str, match: str = "exact") -> bool:
    """The exact-match reward: ``exact`` compares the stripped reply; ``answer_tag`` the stripped
    content of the reply's LAST ``<answer>...</answer>`` (no tag: no match)."""
    import re

    if match == "exact":
        return reply.strip() == answer.strip()
    if match == "answer_tag":
        tags = re.findall(r"<answer>(.*?)</answer>", reply, flags=re.DOTALL)
        return bool(tags) and tags[-1].strip() == answer.strip()
    raise ValueError(f"match must be one of {MATCH_MODES}, not {match!r}")


def _define_plugin_classes() -> None:
    """Define the verifiers subclasses on first use (verifiers is imported lazily)."""
    module = sys.modules[__name__]
    if "ExactMatchTaskset" in vars(module):
        return
    import verifiers.v1 as vf

    class ExactMatchData(vf.TaskData):
        answer: str
        match: str = "exact"

    class ExactMatchTask(vf.Task[ExactMatchData, vf.State, vf.TaskConfig]):
        @vf.reward
        async def exact_match(self, task, trace) -> float:
            return float(reply_matches(trace.last_reply or "", task.answer, task.match))

    class ExactMatchTasksetConfig(vf.TasksetConfig):
        rows: list[dict[str, Any]] = []
        """The tasks: ``{"prompt": str | chat messages, "answer": str}`` each."""
        match: str = "exact"
        """``exact``: the whole reply (stripped) equals the answer; ``answer_tag``: the last
        ``<answer>...</answer>`` of the reply (stripped) equals it."""

    class ExactMatchTaskset(vf.Taskset[ExactMatchTask, ExactMatchTasksetConfig]):
        def load(self):
            for i, row in enumerate(self.config.rows):
                data = ExactMatchData(id=str(i), prompt=row["prompt"], answer=str(row["answer"]), match=self.config.match)
                yield ExactMatchTask(data, self.config.task)

    class InProcessChatHarnessConfig(vf.HarnessConfig):
        pass

    class InProcessChatHarness(vf.Harness[InProcessChatHarnessConfig]):
        """One chat turn, made from this process through the interception endpoint."""

        APPENDS_SYSTEM_PROMPT = True
        EXECUTES_CODE = False
        NEEDS_CONTAINER = False

        async def launch(self, ctx, trace, runtime, endpoint, secret, mcp_urls, data, **_):
            from openai import AsyncOpenAI

            system, prompt = self.resolve_prompt(data)
            messages = [{"role": "system", "content": system}] if system else []
            if isinstance(prompt, str):
                messages.append({"role": "user", "content": prompt})
            else:
                messages.extend(m.model_dump(exclude_none=True) for m in prompt or [])
            client = AsyncOpenAI(base_url=endpoint, api_key=secret, max_retries=0)
            try:
                reply = await client.chat.completions.create(model=ctx.model, messages=messages)
            finally:
                await client.close()
            return vf.ProgramResult(exit_code=0, stdout=reply.choices[0].message.content or "", stderr="")

    for cls in (ExactMatchData, ExactMatchTask, ExactMatchTasksetConfig, ExactMatchTaskset,
                InProcessChatHarnessConfig, InProcessChatHarness):
        cls.__module__ = __name__
        setattr(module, cls.__name__, cls)


def __getattr__(name: str):
    # `ExactMatchTaskset` / `InProcessChatHarness` exist once verifiers is imported (lazily).
    if name in {"ExactMatchData", "ExactMatchTask", "ExactMatchTasksetConfig", "ExactMatchTaskset",
                "InProcessChatHarnessConfig", "InProcessChatHarness"}:
        _define_plugin_classes()
        return vars(sys.modules[__name__])[name]
    raise AttributeError(name)


@dataclass
class VerifiersEvalResult:
    mean_reward: float
    num_rollouts: int
    num_errors: int
    rewards: list[float] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def summary(self, max_replies: int = 20) -> dict:
        return {"mean_reward": self.mean_reward, "num_rollouts": self.num_rollouts,
                "num_errors": self.num_errors, "rewards": self.rewards, "replies": self.replies[:max_replies]}


def evaluate_exact_match(
    rows: Sequence[dict],
    *,
    base_url: str,
    model: str,
    output_dir: str | Path,
    num_rollouts: int = 1,
    max_tokens: int = 32,
    temperature: float = 0.0,
    max_concurrent: int = 4,
    api_key_var: str = "HARNESS_EVAL_API_KEY",
    match: str = "exact",
) -> VerifiersEvalResult:
    """Run verifiers' eval runner on an exact-match taskset (``rows``: prompt/answer dicts; a prompt
    is a string or chat messages) against the OpenAI-compatible endpoint at ``base_url`` (the
    loopback server, or e.g. vLLM's ``http://127.0.0.1:8000/v1``); traces go under ``output_dir``.
    ``match``: see ``reply_matches``. ``temperature=0`` is greedy on the loopback server."""
    if match not in MATCH_MODES:
        raise ValueError(f"match must be one of {MATCH_MODES}, not {match!r}")
    import asyncio
    import uuid

    _define_plugin_classes()
    sys.modules.setdefault(PLUGIN_ID, sys.modules[__name__])
    from verifiers.v1.cli.eval.runner import run_eval
    from verifiers.v1.configs.cli.eval import EvalConfig

    config = EvalConfig.model_validate({
        "env": {
            "taskset": {"id": PLUGIN_ID, "rows": [dict(r) for r in rows], "match": match},
            "agent": {"harness": {"id": PLUGIN_ID}, "runtime": {"type": "subprocess"}},
        },
        "model": model,
        "client": {"type": "eval", "base_url": base_url, "api_key_var": api_key_var},
        "sampling": {"temperature": temperature, "max_tokens": max_tokens},
        "num_rollouts": num_rollouts,
        "max_concurrent": max_concurrent,
        "push": False,
        "rich": None,
        "output_dir": str(output_dir),
        "run": {"name": f"exact-match-{uuid.uuid4().hex[:8]}"},
    })
    episodes = asyncio.run(run_eval(config))
    rewards, replies, prompts, errors = [], [], [], 0
    for episode in episodes:
        for trace in episode.traces:
            prompts.append(episode.task.data.prompt_text)
            rewards.append(float(trace.reward))
            replies.append(trace.last_reply or "")
        errors += int(not episode.ok)
    return VerifiersEvalResult(
        mean_reward=sum(rewards) / max(len(rewards), 1), num_rollouts=len(rewards),
        num_errors=errors, rewards=rewards, replies=replies, prompts=prompts,
    )


# ---------------------------------------------------------------------------------------------------------------
# Training traces from scripted responses
# ---------------------------------------------------------------------------------------------------------------


class _ScriptedServer:
    """Stands in for vLLM's ``/inference/v1/generate``: returns ``completion_ids`` and records the request's
    prompt ids (the ground truth of what the model was given)."""

    base_url = "http://scripted.invalid/v1"

    def __init__(self, completion_ids):
        self.completion_ids = list(completion_ids)
        self.prompt_ids: list[int] | None = None

    async def post(self, endpoint, *, cast_to=None, body=None, options=None):
        import json
        from types import SimpleNamespace

        self.prompt_ids = list(body["token_ids"])
        payload = {"request_id": "scripted", "choices": [{
            "token_ids": self.completion_ids, "finish_reason": "stop",
            "logprobs": {"content": [{"token": f"token_id:{t}", "logprob": 0.0} for t in self.completion_ids]},
        }]}
        return SimpleNamespace(content=json.dumps(payload).encode())

    async def get(self, *args, **kwargs):
        raise RuntimeError("no /models on the scripted server")


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
    """A verifiers v1 trace of ``messages`` with scripted assistant turns, as a ``token_io.Episode``.

    Assistant messages of ``messages`` are never sent: at each one the scripted model returns
    ``completions[k]`` (default: ``rollout_shapes.scripted_completion``, from the tokenizer's own template) and the
    history continues with verifiers' parse of it. ``episode.trace`` is the Trace; ``episode.bridged`` says per turn
    after the first whether the renderer bridge extended the stored prefix."""
    import asyncio

    from renderers.client import generate
    from verifiers.v1.clients.train import _is_valid_incremental_tail, response_from_generate, tool_to_wire
    from verifiers.v1.dialects.chat import message_to_wire
    from verifiers.v1.graph import prepare_turn
    from verifiers.v1.trace import AgentInfo, Trace, TraceTask
    from verifiers.v1.types import Tool

    from harness.rollouts.shapes import scripted_completion
    from harness.rollouts.episodes import Episode, SampledTurn, TrainingSample

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
        server = _ScriptedServer(completion)
        result = asyncio.run(generate(client=server, renderer=renderer, messages=wire_messages, model="scripted",
                                      prompt_ids=prompt_ids, prompt_attribution=attribution, tools=wire_tools,
                                      max_prompt_len=10**9))
        response = response_from_generate(result, "scripted", bridged_turn)
        turn.commit(response)
        turns.append(SampledTurn(tuple(server.prompt_ids), tuple(completion)))
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
