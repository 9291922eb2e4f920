"""Evaluate in-process models through a verifiers environment: each model is served in turn on the loopback
OpenAI-compatible endpoint (``chat_server``) and scored by ``harness.adapters.verifiers.evaluate_exact_match``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def evaluate_models_through_verifiers(
    models: Mapping[str, object], tokenizer, rows: Sequence[dict], output_dir: str | Path, **evaluate_options
) -> dict:
    """``{name: VerifiersEvalResult}`` for each ``name: model`` (put in eval mode), greedy unless
    ``temperature`` is given; ``evaluate_options`` go to ``evaluate_exact_match`` (``max_tokens``, ``match`` ...);
    traces go under ``output_dir/<name>``."""
    from harness.adapters.verifiers import evaluate_exact_match
    from harness.evaluation.chat_server import serve_chat_model

    results = {}
    for name, model in models.items():
        model.eval()
        with serve_chat_model(model, tokenizer, model_name=name) as base_url:
            results[name] = evaluate_exact_match(
                rows, base_url=base_url, model=name, output_dir=Path(output_dir) / name, **evaluate_options
            )
    return results
