"""Everything the harness asks of ``renderers`` (0.1.x). No other harness module imports renderers.

- ``renderer``: ``renderer_for(tokenizer)``, ``create_renderer`` with the typed config that matches each shared
  tokenizer (``RENDERER_CONFIGS``), ``DefaultRenderer`` for the rest;
- ``maskers``: masker factories for ``harness.check_masker``, each with the convention renderers documents, spelled
  as a ``Policy`` (``training_sample_masker``, ``trajectory_step_masker``);
- ``rollouts``: ``rollout_episode``, a scripted rollout through the renderer (``bridge_to_next_turn`` turn by turn),
  trained per step with ``build_trajectory_step``, as a ``harness.rollouts.episodes.Episode``;
- ``client``: ``scripted_generate``, renderers' client ``generate`` against a scripted in-process server;
- ``prefix_stability``: template x transition (append tool / user / assistant message); ``python -m
  harness.adapters.renderers [out.json]`` prints it.

renderers is imported inside functions, so importing this package is cheap.
"""

from __future__ import annotations

from harness.adapters.renderers.client import scripted_generate
from harness.adapters.renderers.maskers import last_message_only, trajectory_step_masker, training_sample_masker
from harness.adapters.renderers.prefix_stability import TRANSITIONS, format_prefix_table, prefix_stability_table
from harness.adapters.renderers.renderer import (
    DEFAULT_CONFIG,
    RENDERER_CONFIGS,
    RendererUnavailable,
    renderer_for,
    renderer_supports_tools,
)
from harness.adapters.renderers.rollouts import rollout_episode

__all__ = [
    "DEFAULT_CONFIG",
    "RENDERER_CONFIGS",
    "TRANSITIONS",
    "RendererUnavailable",
    "format_prefix_table",
    "last_message_only",
    "prefix_stability_table",
    "renderer_for",
    "renderer_supports_tools",
    "rollout_episode",
    "scripted_generate",
    "trajectory_step_masker",
    "training_sample_masker",
]
