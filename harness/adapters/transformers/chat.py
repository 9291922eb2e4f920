"""Chat templates: rendering a conversation, the fixed date templates see, and the ``return_assistant_tokens_mask``
masker (``{% generation %}`` templates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# The fixed date of golden files and its context manager live with the template clock (``clock``); kept importable here.
from harness.adapters.transformers.clock import FIXED_DATE, frozen_template_date  # noqa: F401


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
