"""transformers ``Trainer`` with ``DataCollatorWithFlattening`` (padding-free packing) as a training step for the
check at the loss (``harness.check_training_step``).

``flattening_training_step(masker)`` -> ``step(model, conversations) -> loss``: each conversation through ``masker``
(``{"input_ids", "labels"}``, unshifted, -100 = untrained: the user's own labels), the rows flattened into one row by
``DataCollatorWithFlattening(return_position_ids=True)`` (position ids restart at 0 for each conversation, the first
label of each is -100), and the loss of a real ``Trainer`` (built once per model: it sets
``model.config.use_cache = args.use_cache``, False) through its ``compute_loss`` with ``num_items_in_batch`` (the
step's trained tokens): the token mean over the step. transformers (5.25) isolates the packed conversations from the
position ids only when the model runs without a cache and without a 2-D attention mask
(``masking_utils._preprocess_mask_arguments``).

``use_cache`` / ``reset_position_ids`` plant the two packing bugs of a hand-written loop around the same collator:
the model called with its config's ``use_cache=True`` (a cache is built, the packed-sequence detection is skipped:
every conversation attends to the ones before it), or position ids that run on across the row.
"""

from __future__ import annotations


def flattening_training_step(masker, *, use_cache: bool | None = None, reset_position_ids: bool = True):
    """The step described in the module; the defaults are the Trainer's own behaviour."""
    built: dict = {}

    def step(model, conversations):
        import tempfile

        import torch
        from transformers import DataCollatorWithFlattening, Trainer, TrainingArguments

        if built.get("model") is not model:
            args = TrainingArguments(output_dir=tempfile.mkdtemp(prefix="harness-flattening-"), report_to=[],
                                     use_cpu=True, per_device_train_batch_size=len(conversations))
            built["trainer"] = Trainer(model=model, args=args, data_collator=DataCollatorWithFlattening(
                return_position_ids=True))
            built["model"] = model
        trainer = built["trainer"]
        rows = [masker(c["messages"], c.get("tools")) for c in conversations]
        batch = trainer.data_collator([{"input_ids": list(r["input_ids"]), "labels": list(r["labels"])} for r in rows])
        inputs = {k: batch[k] for k in ("input_ids", "labels", "position_ids")}
        if not reset_position_ids:
            inputs["position_ids"] = torch.arange(inputs["input_ids"].shape[1])[None]
        if use_cache is not None:
            inputs["use_cache"] = use_cache
        items = int((inputs["labels"][:, 1:] != -100).sum())
        return trainer.compute_loss(model, inputs, num_items_in_batch=torch.tensor(items))

    step.normalization = "token"
    return step


def flattening_reference_step(tokenizer):
    """``flattening_training_step`` over the harness's independent correct labels (``harness.testing.reference``,
    the template's eos as the stop): the loss table's row for transformers' padding-free Trainer."""
    from harness.testing.reference import correct_masker

    return flattening_training_step(correct_masker(tokenizer, tokenizer.eos_token))
