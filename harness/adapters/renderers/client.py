"""renderers' client ``generate`` against a scripted in-process server: one model turn with no network.

``scripted_generate`` is what the verifiers train client does per turn (``harness.adapters.verifiers.traces``),
with the server replaced by ``_ScriptedServer``, which returns the given completion ids and records the prompt ids
it was sent (the ground truth of what the model was given).
"""

from __future__ import annotations

from collections.abc import Sequence


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


async def scripted_generate(renderer, messages: list, completion_ids: Sequence[int], *, prompt_ids: list[int],
                            prompt_attribution, tools) -> tuple[object, list[int]]:
    """``(result, sent_prompt_ids)``: ``renderers.client.generate`` of ``messages`` (wire format) with the given
    prompt ids and attribution, answered by a scripted server that samples ``completion_ids``; ``sent_prompt_ids``
    are the ids the server received."""
    from renderers.client import generate

    server = _ScriptedServer(completion_ids)
    result = await generate(client=server, renderer=renderer, messages=messages, model="scripted",
                            prompt_ids=prompt_ids, prompt_attribution=prompt_attribution, tools=tools,
                            max_prompt_len=10**9)
    return result, server.prompt_ids
