"""verl's multi-turn SFT data path (``MultiTurnSFTDataset.__getitem__``) as a masker; verl is imported only here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.masking.policy import Policy

RELEASE = "0.9.1"

# verl's design (``_process_single_message``: "each assistant response should be trained"): each assistant message
# is rendered alone and every token after the generation prompt is trained, the stop token and whatever the template
# writes after it (Qwen's ``\n`` after ``<|im_end|>``) included.
POLICY = Policy(turns="all", train_glue_after_stop=None)


def policy_for(ignore_input_ids_mismatch: bool = False) -> Policy:
    """What verl documents for the configuration: ``POLICY``; with ``ignore_input_ids_mismatch=True``
    (sft_trainer_engine.yaml: "use the concatenated input_ids as the final input_ids") the ids are the messages'
    own tokenizations concatenated, so a segmentation that differs from the whole rendering's is accepted (the text
    must still be the rendering's)."""
    if ignore_input_ids_mismatch:
        return Policy(turns="all", train_glue_after_stop=None, segmentation=None)
    return POLICY


def not_applicable(tokenizer) -> str | None:
    """verl renders with the tokenizer's own chat template; without one it cannot run."""
    if not getattr(tokenizer, "chat_template", None):
        return "the tokenizer has no chat template (verl renders with apply_chat_template)"
    return None


def _dataset(tokenizer, config: Mapping[str, Any]):
    """A ``MultiTurnSFTDataset`` built by its own ``__init__`` over a one-row parquet file (its documented input)."""
    import tempfile

    import pandas as pd
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/placeholder.parquet"
        pd.DataFrame({"messages": [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]]}
                     ).to_parquet(path)
        return MultiTurnSFTDataset(path, tokenizer, dict(config))


def masker(tokenizer, cfg: Mapping[str, Any] | None = None, **options: Any):
    """A masker running ``MultiTurnSFTDataset.__getitem__`` on each conversation.

    ``cfg``/``options``: the dataset's config keys (``apply_chat_template_kwargs``, ``enable_thinking_default``,
    ``ignore_input_ids_mismatch``, ``truncation``, ``max_length`` ...); defaults are verl's, except ``pad_mode``
    (``no_padding``, so the ids are the row's own) and ``max_length`` (large enough that nothing is truncated).
    The row is handed to ``__getitem__`` as the in-memory object parquet would load (messages and tools as Python
    lists), so the labels are exactly the dataset's ``loss_mask``.
    """
    import pandas as pd

    config = {"pad_mode": "no_padding", "max_length": 1 << 20, **dict(cfg or {}), **options}
    dataset = _dataset(tokenizer, config)

    def run(messages, tools):
        dataset.dataframe = pd.DataFrame({"messages": [list(messages)], "tools": [list(tools) if tools else None]})
        dataset.messages = [list(messages)]
        dataset.tools = [list(tools) if tools else None]
        dataset.enable_thinking = None
        row = dataset[0]
        ids = row["input_ids"].tolist()
        mask = row["loss_mask"].tolist()
        return {"input_ids": ids, "labels": [i if m else -100 for i, m in zip(ids, mask)]}

    run.policy = policy_for(bool(config.get("ignore_input_ids_mismatch", False)))
    run.trainer = f"verl=={RELEASE}"
    return run
