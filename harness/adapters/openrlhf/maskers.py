"""``masker``: ``openrlhf.datasets.SFTDataset(multiturn=True)`` as a harness masker.

OpenRLHF's multi-turn convention (``SFTDataset.process_data``): each assistant message's "response" is the
difference between the rendering of the messages up to it and the rendering of those before it with the
generation prompt, so the response spans the assistant's content, its stop token and the glue the template writes
after it (Qwen's ``\\n`` after ``<|im_end|>``): ``train_glue_after_stop`` is accepted either way. Every assistant
turn is trained. The last response also holds what the template writes after the last message (Phi-3.5's closing
``<|endoftext|>``, its EOS, which ``__getitem__`` makes sure ends the text): ``train_conversation_end`` either way.
``loss_mask`` is shifted (position ``i`` weighs the prediction of token ``i + 1``); the masker unshifts it into labels.

The rows go through a plain-Python stand-in for ``datasets.Dataset`` (``map``/``filter``/column access), so that
Arrow's schema merging (``None`` for keys a message lacks, argument dicts unified across calls) does not alter the
conversations: what is judged is OpenRLHF's own code, not the loader's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from harness.masking.policy import Policy

TRAINER = "openrlhf==0.11.2"


OPTIONS = ("multiturn", "max_len", "input_template", "tokenizer_chat_template")


def policy_for(options: Mapping[str, Any]) -> Policy:
    """The ``Policy`` OpenRLHF's SFT documents: with ``--data.multiturn`` (the default here) every assistant turn,
    without it the last one only (``preprocess_data``: the response is what the whole rendering adds to the
    rendering of ``messages[:-1]`` with the generation prompt); the glue after the stop token and the
    conversation's closing text either way."""
    turns = "all" if options.get("multiturn", True) else "last"
    return Policy(turns=turns, train_glue_after_stop=None, train_conversation_end=None)


def not_applicable(tokenizer) -> str | None:
    """Why OpenRLHF's SFTDataset cannot run this tokenizer, or None."""
    if not getattr(tokenizer, "chat_template", None):
        return "the tokenizer has no chat_template (multiturn needs --data.apply_chat_template)"
    if getattr(tokenizer, "eos_token", None) is None:
        return "the tokenizer has no eos_token (SFTDataset appends and forces it)"
    return None


class _Rows:
    """The part of ``datasets.Dataset`` that ``SFTDataset.__init__`` uses, over a list of dicts."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    @property
    def column_names(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    def map(self, function, remove_columns=None, num_proc=None):
        return _Rows([function(dict(row)) for row in self.rows])

    def filter(self, predicate):
        return _Rows([row for row in self.rows if predicate(row)])

    def __getitem__(self, column: str) -> list:
        return [row[column] for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


class RowDropped(Exception):
    """SFTDataset filtered the conversation out (empty prompt or response, or too long): it is never trained."""


def masker(tokenizer, cfg: Mapping[str, Any] | None = None, **options: Any) -> Callable:
    """masker(messages, tools) -> {"input_ids", "labels"} through ``SFTDataset(multiturn=True).__getitem__``.

    ``cfg``: ``--data.*`` settings (``multiturn``: default True, ``--data.multiturn``; False trains the last
    assistant message only; ``max_len`` default 1 << 20 so nothing is truncated, ``input_template``,
    ``tokenizer_chat_template``). ``tools`` are not part of OpenRLHF's SFT rows: they are not passed on.
    """
    unknown = sorted((set(options) | set(cfg or {})) - set(OPTIONS))
    if unknown:
        raise TypeError(f"unknown OpenRLHF SFT option(s) {unknown}; known: {', '.join(OPTIONS)}")
    settings = {**(cfg or {}), **options}
    if not isinstance(settings.get("multiturn", True), bool):
        raise TypeError(f"OpenRLHF SFT option multiturn must be true or false, got {settings['multiturn']!r}")
    from openrlhf.datasets import SFTDataset

    multiturn = settings.get("multiturn", True)
    data = SimpleNamespace(input_key="messages", output_key=None, apply_chat_template=True,
                           tokenizer_chat_template=settings.get("tokenizer_chat_template"))
    strategy = SimpleNamespace(args=SimpleNamespace(data=data))
    max_len = int(settings.get("max_len", 1 << 20))

    def run(messages: list[dict], tools: list[dict] | None) -> dict:
        rows = _Rows([{"messages": [dict(message) for message in messages]}])
        dataset = SFTDataset(rows, tokenizer, max_len, strategy, input_template=settings.get("input_template"),
                             num_processors=1, multiturn=multiturn)
        if len(dataset) == 0:
            raise RowDropped("SFTDataset.process_data filtered this conversation out (empty prompt or response)")
        input_ids, _, loss_mask = dataset[0]
        ids = input_ids[0].tolist()
        shifted = loss_mask[0].tolist()
        labels = [ids[i] if i > 0 and shifted[i - 1] else -100 for i in range(len(ids))]
        return {"input_ids": ids, "labels": labels}

    run.policy = policy_for(settings)
    run.trainer = TRAINER
    return run
