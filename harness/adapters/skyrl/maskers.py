"""skyrl's SFT data path (``skyrl.train.sft_trainer.tokenize_chat_example``) as a masker; skyrl is imported only
here."""

from __future__ import annotations

import sys
from typing import Any

from harness.adapters.skyrl._standins import skyrl_importable
from harness.masking.policy import Policy

RELEASE = "0.4.0"
TRAIN_ON_WHAT = ("last_assistant_message", "all_assistant_messages")


def policy_for(train_on_what: str) -> Policy:
    """What skyrl does by design for ``train_on_what``.

    ``last_assistant_message`` (its default, documented as "train only on the final assistant message"): the loss
    covers everything after the prompt rendered with the generation prompt, i.e. the final assistant turn, its stop
    token and what the template writes after it (Qwen's ``\\n``, Phi-3.5's closing ``<|endoftext|>``).
    ``all_assistant_messages`` (``get_response_ids_and_loss_mask_from_messages``, the re-tokenization helper skyrl's
    docs give custom generators; ``SkyRLGymGenerator`` does not use it): every assistant turn up to and including its
    last EOS; the tokens after the EOS are masked.
    """
    if train_on_what == "last_assistant_message":
        return Policy(turns="last", train_glue_after_stop=None, train_conversation_end=None)
    return Policy(turns="all")


def not_applicable(tokenizer) -> str | None:
    if not getattr(tokenizer, "chat_template", None):
        return "the tokenizer has no chat template (skyrl renders with apply_chat_template)"
    return None


def _import_sft_trainer():
    """``skyrl.train.sft_trainer``, loaded with the stand-ins its import needs here (``_standins``)."""
    if "skyrl.train.sft_trainer" not in sys.modules:
        with skyrl_importable():
            import skyrl.train.sft_trainer  # noqa: F401
    return sys.modules["skyrl.train.sft_trainer"]


def masker(tokenizer, cfg: dict[str, Any] | None = None, **options: Any):
    """A masker running ``tokenize_chat_example({"messages", "tools"}, tokenizer, train_on_what=...)``.

    ``cfg``/``options``: its keyword arguments (``train_on_what``: ``"last_assistant_message"`` (default) or
    ``"all_assistant_messages"``; ``max_length``; extra ``apply_chat_template`` kwargs). The labels are its
    ``loss_mask`` over the last ``num_actions`` tokens, as ``collate_sft_batch`` lays it out. A row skyrl skips
    (``None``: it does not end with an assistant turn) raises.
    """
    options = {**dict(cfg or {}), **options}
    train_on_what = str(options.pop("train_on_what", "last_assistant_message"))
    if train_on_what not in TRAIN_ON_WHAT:
        raise ValueError(f"skyrl masker: train_on_what must be one of {TRAIN_ON_WHAT}, got {train_on_what!r}")
    sft_trainer = _import_sft_trainer()
    from skyrl.train.config.sft_config import TrainOnWhat

    def run(messages, tools):
        example = {"messages": [dict(m) for m in messages], "tools": list(tools) if tools else None}
        row = sft_trainer.tokenize_chat_example(example, tokenizer, train_on_what=TrainOnWhat(train_on_what),
                                                **options)
        if row is None:
            raise ValueError("skyrl's tokenize_chat_example skipped the row (returned None)")
        ids = list(row["input_ids"])
        mask = [0] * (len(ids) - row["num_actions"]) + list(row["loss_mask"])
        return {"input_ids": ids, "labels": [i if m else -100 for i, m in zip(ids, mask)]}

    run.policy = policy_for(train_on_what)
    run.trainer = f"skyrl=={RELEASE}"
    return run
