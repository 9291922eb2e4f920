"""``renderer_of(name) -> (tokenizer, renderer)``: a shared tokenizer and its renderer (renderers), built once per module.

Where renderers cannot build one offline (gpt-oss's harmony vocabulary is a download), it raises
``RendererUnavailable``, also once per module: the tests that can run without a renderer catch it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def renderer_of(load_tokenizer_or_skip):
    from harness.adapters.renderers import RendererUnavailable, renderer_for

    built: dict[str, tuple | RendererUnavailable] = {}

    def get(name):
        if name not in built:
            tokenizer = load_tokenizer_or_skip(name)
            try:
                built[name] = (tokenizer, renderer_for(tokenizer))
            except RendererUnavailable as error:
                built[name] = error
        if isinstance(built[name], RendererUnavailable):
            raise built[name]
        return built[name]

    return get
