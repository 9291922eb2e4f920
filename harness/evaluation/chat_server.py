"""A small OpenAI-compatible endpoint on loopback, serving ``/v1/chat/completions`` from an
in-process Hugging Face model (greedy, or sampled with temperature/top_p/seed), so evaluators
that speak the OpenAI API (verifiers) can evaluate a model under test without any network.

    with serve_chat_model(model, tokenizer, model_name="tiny") as base_url:
        ...  # base_url == "http://127.0.0.1:<port>/v1"

Binds 127.0.0.1 only, on a free port. One generation at a time (a lock around the model).
With vLLM, skip this: pass vLLM's own ``base_url`` (e.g. ``http://127.0.0.1:8000/v1``) to the
evaluator instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Iterator

from harness.evaluation.generation import GREEDY, Sampling, generate_ids


def _sampling_from_request(body: dict) -> Sampling:
    temperature = body.get("temperature")
    top_p = body.get("top_p")
    if temperature is None or float(temperature) == 0.0:
        return GREEDY
    return Sampling("request", do_sample=True, temperature=float(temperature), top_p=float(top_p or 1.0))


def build_app(model, tokenizer, model_name: str, default_max_tokens: int = 64):
    """The starlette app: ``POST /v1/chat/completions`` and ``GET /v1/models``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from harness.adapters.transformers import render

    lock = threading.Lock()

    def complete(body: dict) -> dict:
        prompt = render(tokenizer, body["messages"], add_generation_prompt=True)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        max_tokens = int(body.get("max_completion_tokens") or body.get("max_tokens") or default_max_tokens)
        with lock:
            new = generate_ids(
                model, tokenizer, [prompt_ids], max_new_tokens=max_tokens,
                sampling=_sampling_from_request(body), seed=int(body.get("seed") or 0),
            )[0]
        text = tokenizer.decode(new, skip_special_tokens=True)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", model_name),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "length" if len(new) >= max_tokens else "stop",
            }],
            "usage": {"prompt_tokens": len(prompt_ids), "completion_tokens": len(new),
                      "total_tokens": len(prompt_ids) + len(new)},
        }

    async def chat_completions(request):
        body = await request.json()
        if body.get("stream"):
            return JSONResponse({"error": {"message": "stream is not supported"}}, status_code=400)
        return JSONResponse(await asyncio.to_thread(complete, body))

    async def models(request):
        return JSONResponse({"object": "list", "data": [{"id": model_name, "object": "model", "owned_by": "harness"}]})

    return Starlette(routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ])


@contextlib.contextmanager
def serve_chat_model(model, tokenizer, model_name: str = "harness-model", default_max_tokens: int = 64) -> Iterator[str]:
    """Serve ``model`` on 127.0.0.1 (free port) in a background thread; yields the base URL."""
    import uvicorn

    config = uvicorn.Config(
        build_app(model, tokenizer, model_name, default_max_tokens),
        host="127.0.0.1", port=0, log_level="warning", lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="harness-chat-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("chat server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
