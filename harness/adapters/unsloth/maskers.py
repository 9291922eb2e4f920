"""unsloth's response-only masking (``unsloth_zoo.dataset_utils.train_on_responses_only``) as a masker; unsloth_zoo is
imported only here."""

from __future__ import annotations

from typing import Any

from harness.masking.policy import Policy

RELEASE = "2026.10.9"
OPTIONS = ("instruction_part", "response_part", "force_match", "last_response_only", "mask_out_tokens")


def policy_for(last_response_only: bool) -> Policy:
    """What unsloth documents: everything after the response marker (``<|im_start|>assistant\\n``) up to and including
    the EOS is trained, in every assistant turn (``last_response_only=True``: the final one). The same for every
    configuration in ``CONFIGURATIONS``: explicit markers replace the detected ones, and ``force_match`` ("Match
    newlines as well!") only decides whether the marker's trailing whitespace must match as its own token; neither
    changes which tokens unsloth says are trained (a token that merges the header's whitespace with the content is
    accepted either way by the contract)."""
    return Policy(turns="last" if last_response_only else "all")


def not_applicable(tokenizer) -> str | None:
    if not getattr(tokenizer, "chat_template", None):
        return "the tokenizer has no chat template (unsloth's recipe renders with apply_chat_template)"
    return None


def masker(tokenizer, cfg: dict[str, Any] | None = None, **options: Any):
    """A masker: the conversation rendered by the tokenizer's chat template and tokenized whole (unsloth's notebook
    recipe), its labels from ``train_on_responses_only(None, ..., tokenizer=tokenizer, return_function=True)``.

    ``cfg``/``options``: ``instruction_part``/``response_part`` (default: neither, unsloth detects both from the
    template), ``force_match``, ``last_response_only``, ``mask_out_tokens``.
    """
    options = {**dict(cfg or {}), **options}
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unsloth masker: unknown options {unknown}; known: {list(OPTIONS)}")
    from unsloth_zoo.dataset_utils import train_on_responses_only

    label = train_on_responses_only(None, tokenizer=tokenizer, return_function=True, **options)

    def run(messages, tools):
        text = tokenizer.apply_chat_template(list(messages), tools=tools or None, tokenize=False)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return {"input_ids": ids, "labels": list(label({"input_ids": [ids]})["labels"][0])}

    run.policy = policy_for(bool(options.get("last_response_only", False)))
    run.trainer = f"unsloth_zoo=={RELEASE}"
    return run
