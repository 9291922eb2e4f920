"""Chat templates: rendering a conversation, the fixed date templates see, and the ``return_assistant_tokens_mask``
masker (``{% generation %}`` templates)."""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

# The date that templates which print "today" (Llama 3.x, gpt-oss, SmolLM3) see in golden files.
FIXED_DATE = _dt.datetime(2026, 1, 15, 12, 0, 0)


@contextlib.contextmanager
def frozen_template_date(when: _dt.datetime = FIXED_DATE) -> Iterator[None]:
    """Make ``strftime_now`` in every chat template return ``when`` (for golden files)."""
    from transformers.utils import chat_template_utils as ctu

    class _Frozen(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: D102 - same signature as datetime.now
            return when

    original = ctu.datetime
    ctu.datetime = _Frozen
    try:
        yield
    finally:
        ctu.datetime = original


def render(
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    add_generation_prompt: bool = False,
    **template_kwargs: Any,
) -> str:
    """The text the tokenizer's chat template renders for ``messages`` (no tokenization)."""
    return tokenizer.apply_chat_template(
        [dict(m) for m in messages],
        tools=list(tools) if tools else None,
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
        **template_kwargs,
    )


def assistant_tokens_mask_masker(tokenizer, chat_template: str | None = None, **template_kwargs: Any):
    """A masker backed by ``apply_chat_template(..., return_dict=True, return_assistant_tokens_mask=True)``.

    ``chat_template`` defaults to the tokenizer's; pass a ``{% generation %}`` template (trl's
    ``*_training.jinja``) to get a non-empty mask.
    """

    def masker(messages, tools):
        out = tokenizer.apply_chat_template(
            [dict(m) for m in messages],
            tools=list(tools) if tools else None,
            chat_template=chat_template,
            tokenize=True,
            return_dict=True,
            return_assistant_tokens_mask=True,
            **template_kwargs,
        )
        return {"input_ids": list(out["input_ids"]), "assistant_masks": list(out["assistant_masks"])}

    return masker


# --- causal language models (evaluation jobs) -------------------------------------------------
