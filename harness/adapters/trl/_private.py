"""Every use of a private API of trl (and of what trl drives: datasets, accelerate): one place for an upgrade.

Written against trl 1.16.0, datasets 5.2.0 and accelerate as transformers 5.24 (5.25: ``loss_before_backward``)
drives it. Each function names the private API it reaches and the version it was written against; the rest of
``harness.adapters.trl`` goes through these functions and trl's public API only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path


def prepare_sft_dataset(trainer, dataset, *, packing: bool = False):
    """``dataset`` tokenized (and labelled) by the SFTTrainer's own dataset preparation, as its ``train_dataset`` is.

    trl 1.16: ``SFTTrainer._prepare_dataset(dataset, processing_class, args, packing, formatting_func,
    dataset_name)``; ``packing`` as given (the trainer passes ``args.packing`` for its train dataset), no formatting
    function, and a dataset name for its log lines.
    """
    return trainer._prepare_dataset(dataset, trainer.processing_class, trainer.args, packing, None, "harness")


def loss_before_backward(trainer, model, inputs: dict, num_items_in_batch):
    """The loss ``trainer.training_step(model, inputs, num_items_in_batch)`` backpropagates, as a tensor with its
    graph, without the backward: the step's own ``compute_loss`` and its scaling for gradient accumulation.

    transformers 5.25 (``Trainer.training_step``): ``compute_loss(model, inputs, num_items_in_batch=...)``, divided
    by ``current_gradient_accumulation_steps`` unless the loss is already scaled (``loss_is_scaled_for_ga``, else
    ``model_accepts_loss_kwargs`` with ``num_items_in_batch``), then ``self.accelerator.backward(loss)``. That one
    call (accelerate's public ``Accelerator.backward``) is replaced on this trainer's accelerator, for the call only,
    by one that keeps the tensor; the caller sets ``trainer.current_gradient_accumulation_steps`` as
    ``_inner_training_loop`` does (the micro-batches of the optimizer step).
    """
    accelerator = trainer.accelerator
    own = vars(accelerator).get("backward")  # an instance attribute already there (none in accelerate 1.x)
    kept: list = []
    accelerator.backward = lambda loss, **kwargs: kept.append(loss)
    try:
        trainer.training_step(model, inputs, num_items_in_batch)
    finally:
        if own is None:
            del accelerator.backward  # the class's method again
        else:
            accelerator.backward = own
    if len(kept) != 1:
        raise RuntimeError(f"Trainer.training_step called accelerator.backward {len(kept)} times, expected once")
    return kept[0]


def sft_swapped_chat_template(trainer) -> str | None:
    """The ``*_training.jinja`` template an SFTTrainer(assistant_only_loss=True) swapped in, or None when it kept
    the tokenizer's own.

    trl 1.16: the undocumented attribute ``SFTTrainer.chat_template``, set in ``__init__`` from
    ``get_training_chat_template`` when the tokenizer's template has no ``{% generation %}`` markers.
    """
    return trainer.chat_template


def grpo_eos_token_ids(trainer) -> list[int]:
    """The token ids that end a GRPO generation.

    trl 1.16: the undocumented attribute ``GRPOTrainer.eos_token_ids`` (the model's generation config's).
    """
    return list(trainer.eos_token_ids)


def generate_and_score(trainer, inputs: list) -> dict:
    """One GRPO generation batch for ``inputs`` (dataset rows, each repeated per generation), without a training step.

    trl 1.16: ``GRPOTrainer._generate_and_score_completions(inputs)`` returns a dict with (among others)
    ``prompt_ids``/``prompt_mask``, ``completion_ids``/``completion_mask``, ``advantages`` and, for a
    tool-calling run, ``tool_mask`` (1 = model token, 0 = tool result).
    """
    return dict(trainer._generate_and_score_completions(inputs))


def grpo_per_token_logps(trainer, model, input_ids, attention_mask, logits_to_keep: int):
    """The per-token log-probabilities of the last ``logits_to_keep`` tokens of each row, by the forward GRPO's loss
    makes (trl's fused LM head).

    trl 1.16: ``GRPOTrainer._get_per_token_logps_and_entropies(model, input_ids, attention_mask, logits_to_keep)``
    returns ``(logps, entropies, aux_loss)``; ``_compute_loss`` calls it on prompt + completion.
    """
    logps, _, _ = trainer._get_per_token_logps_and_entropies(model, input_ids, attention_mask, logits_to_keep)
    return logps


def grpo_trainer_rewriting_tool_mask(rewrite: Callable, *, description: str):
    """A GRPOTrainer subclass whose loss mask is rewritten after trl built it: ``tool_mask`` becomes
    ``rewrite(tool_mask, completion_mask)`` (raises ValueError naming ``description`` for a run without tools).

    trl 1.16: the override sits on ``_generate_and_score_completions``; its output carries ``tool_mask``, which
    ``_compute_loss`` multiplies into ``completion_mask``; ``num_items_in_batch`` (the loss normaliser) is
    recomputed to match the rewritten mask.
    """
    from trl import GRPOTrainer

    class RewrittenToolMaskGRPOTrainer(GRPOTrainer):
        def _generate_and_score_completions(self, inputs):
            output = super()._generate_and_score_completions(inputs)
            completion_mask = output["completion_mask"]
            tool_mask = output.get("tool_mask")
            if tool_mask is None:
                raise ValueError(f"{description} needs a tool-calling run (GRPOTrainer(tools=...))")
            output["tool_mask"] = rewrite(tool_mask, completion_mask)
            loss_mask = completion_mask * output["tool_mask"]
            output["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
            return output

    return RewrittenToolMaskGRPOTrainer


def shipped_chat_templates() -> list[Path]:
    """The chat templates trl ships (``qwen3_training.jinja`` ...), sorted by path.

    trl 1.16: package data in ``trl/chat_templates/*.jinja`` (no public listing).
    """
    import trl

    return sorted((Path(trl.__file__).parent / "chat_templates").glob("*.jinja"))


def release_accelerate_forward(model) -> None:
    """Remove what accelerate left on ``model`` after a trainer prepared it.

    accelerate (as transformers 5.24's Trainer drives it) replaces ``model.forward`` with an instance attribute,
    a wrapper closing over the original bound forward, and keeps that as ``model._original_forward``.
    """
    for attribute in ("forward", "_original_forward"):
        model.__dict__.pop(attribute, None)


@contextlib.contextmanager
def random_dataset_fingerprints():
    """Within the block, ``datasets`` gives each ``map`` a random fingerprint instead of hashing its arguments.

    The hash pickles the tokenizer trl passes to ``map`` (about 20 s for a 256k vocabulary). The datasets here are
    built in memory (``Dataset.from_list``) and never cached to disk, so the fingerprint identifies nothing: the
    tokenization, masks and collation are trl's, unchanged. Only attributes that exist are replaced.

    datasets 5.2: ``update_fingerprint`` in ``datasets.fingerprint``, imported by name into
    ``datasets.arrow_dataset`` (both are patched); ``fingerprint.generate_random_fingerprint``.
    """
    import datasets.arrow_dataset as arrow_dataset
    import datasets.fingerprint as fingerprint

    def random_fingerprint(*args, **kwargs):
        return fingerprint.generate_random_fingerprint()

    patched = [(module, getattr(module, "update_fingerprint")) for module in (fingerprint, arrow_dataset)
               if hasattr(module, "update_fingerprint")]
    for module, _ in patched:
        module.update_fingerprint = random_fingerprint
    try:
        yield
    finally:
        for module, original in patched:
            module.update_fingerprint = original
