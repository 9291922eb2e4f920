"""An exact-match environment evaluated by verifiers' own eval runner against an OpenAI-compatible endpoint.

verifiers 0.4 has no trainer; as an evaluator it runs ``vf-eval``'s runner (``run_eval``) over an
``EvalConfig``. Offline that needs:

* the ``subprocess`` runtime (the default agent runtime is Prime's remote sandbox);
* an in-process harness loop (``harness.adapters.verifiers.plugin.InProcessChatHarness``): the stock chat
  harnesses (``null``, ``bash``) launch a ``uv``-installed program, which needs the network;
* ``push=False`` (no upload) and ``rich=None`` (no live dashboard);
* plugin modules that export their Taskset / Harness subclass via ``__all__`` and import under a
  plain (undotted) id: ``_import_plugin`` probes ``verifiers.v1.tasksets.<id>`` with
  ``importlib.util.find_spec``, which RAISES for a dotted id such as ``harness.adapters.verifiers.plugin``
  instead of returning None. The plugin module is therefore registered as ``PLUGIN_ID``.

The endpoint is the caller's ``base_url``: the in-process loopback server
(``harness.evaluation.chat_server.serve_chat_model``) for a model under test, or a vLLM server.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.reports import JobResult

PLUGIN_ID = "harness_exact_match_env"

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


def register_plugin() -> str:
    """Register ``harness.adapters.verifiers.plugin`` under the plain id verifiers' loader imports; returns the id."""
    from harness.adapters.verifiers import plugin

    sys.modules.setdefault(PLUGIN_ID, plugin)
    return PLUGIN_ID


@dataclass
class VerifiersEvalResult(JobResult):
    """A measurement (``passed`` is None): the mean exact-match reward over the rollouts, with the replies."""

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

    from verifiers.v1.cli.eval.runner import run_eval
    from verifiers.v1.configs.cli.eval import EvalConfig

    register_plugin()
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
