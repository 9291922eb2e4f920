"""``renderer_for``: the typed renderer config of each shared tokenizer (``harness.adapters.renderers.renderer``)."""

from __future__ import annotations

import pytest


def test_renderer_for_every_shared_tokenizer(load_tokenizer_or_skip):
    from harness.adapters.renderers import RENDERER_CONFIGS, RendererUnavailable, renderer_for

    for name in ["qwen3", "llama-3.2-instruct", "qwen2.5-instruct", "gemma-2-it"]:
        renderer = renderer_for(load_tokenizer_or_skip(name))
        assert renderer.harness_config_name == RENDERER_CONFIGS.get(name, ("DefaultRendererConfig",))[0]
    with pytest.raises(RendererUnavailable, match="HarmonyError"):
        renderer_for(load_tokenizer_or_skip("gpt-oss-20b"))
