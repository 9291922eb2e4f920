"""``renderer_of(name)``: a shared tokenizer and its renderer, built once per module."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def renderer_of(load_tokenizer_or_skip):
    from harness.adapters.renderers import renderer_for

    built = {}

    def get(name):
        if name not in built:
            tokenizer = load_tokenizer_or_skip(name)
            built[name] = (tokenizer, renderer_for(tokenizer))
        return built[name]

    return get
