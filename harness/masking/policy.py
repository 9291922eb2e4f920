"""``Policy``: which generated tokens a masker is expected to train (the documented conventions)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.types import TURNS, Turns


@dataclass(frozen=True)
class Policy:
    """Which generated tokens a masker is expected to train.

    turns: ``"all"`` (default) trains every assistant turn; ``"last"`` only the final assistant turn
        (the single-turn SFT / last-turn RL convention).

    The three conventions below are text the model never generates but that some pipelines train
    on purpose. Each takes ``False`` (default: must not be trained), ``True`` (must be) or ``None``
    (either is accepted):

    train_glue_after_stop: whitespace the template writes after the stop token (Qwen's ``\\n``
        after ``<|im_end|>``; trl's ``*_training.jinja`` templates train it).
    train_header_whitespace: whitespace ending the assistant header (the ``\\n`` of
        ``<|im_start|>assistant\\n``; trl's Qwen training template trains it).
    train_conversation_end: text the template writes only after the last message (Phi-3.5's
        ``<|endoftext|>``), when the conversation ends with an assistant turn.
    train_assistant_header: the assistant header itself (``<|im_start|>assistant\n``, Llama's
        ``<|start_header_id|>assistant<|end_header_id|>\n\n``), which the generation prompt writes
        and the model never samples. ``True`` or ``None`` also covers the header's whitespace unless
        ``train_header_whitespace`` says otherwise. Text the generation prompt forces after the
        header (Qwen3's empty ``<think></think>`` with thinking off) is never covered.
    segmentation: ``True`` (default) the masker's ``input_ids`` must be the tokenization of the
        whole rendering; ``None`` accepts ids that spell the same text with another segmentation
        (message-by-message tokenization) and reports the difference as a hazard. Labels are
        judged either way.
    """

    turns: Turns = "all"
    train_glue_after_stop: bool | None = False
    train_header_whitespace: bool | None = False
    train_conversation_end: bool | None = False
    train_assistant_header: bool | None = False
    segmentation: bool | None = True

    def __post_init__(self) -> None:
        if self.turns not in TURNS:
            raise ValueError(f"Policy.turns must be 'all' or 'last', got {self.turns!r}")
        if self.segmentation not in (True, None):
            raise ValueError(f"Policy.segmentation must be True or None, got {self.segmentation!r}")
        for name in ("train_glue_after_stop", "train_header_whitespace", "train_conversation_end", "train_assistant_header"):
            if getattr(self, name) not in (True, False, None):
                raise ValueError(f"Policy.{name} must be True, False or None, got {getattr(self, name)!r}")
