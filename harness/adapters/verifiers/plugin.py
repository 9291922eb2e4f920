"""The verifiers plugin ``evaluate_exact_match`` runs: an exact-match taskset and an in-process chat harness.

verifiers finds a plugin's Taskset / Harness subclass through the module's ``__all__``; this module is registered
under the plain id ``harness.adapters.verifiers.evaluation.PLUGIN_ID`` before the eval runner loads it.
``InProcessChatHarness`` makes the model call from this process through the rollout's interception endpoint (the
stock chat harnesses launch a ``uv``-installed program, which needs the network), which the harness contract allows.

Unlike the rest of the adapter, this module imports verifiers at the top: it is imported only when an evaluation
runs (``harness.adapters.verifiers`` reaches it lazily).
"""

from __future__ import annotations

from typing import Any

import verifiers.v1 as vf

from harness.adapters.verifiers.evaluation import reply_matches

__all__ = ["ExactMatchTaskset", "InProcessChatHarness"]


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
