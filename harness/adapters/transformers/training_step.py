"""transformers ``Trainer`` as training steps for the check at the loss (``harness.check_training_step``): with
``DataCollatorWithFlattening`` (padding-free packing), and padded over emulated devices and accumulation steps.

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


class _EmulatedRanks:
    """``Trainer.accelerator`` seen by one emulated device among ``devices``: ``num_processes`` is ``devices`` and
    ``gather`` answers with every device's value (``answer``), or the caller's own while ``answer`` is None."""

    def __init__(self, accelerator, devices: int):
        self._accelerator, self.num_processes, self.answer = accelerator, devices, None

    def gather(self, value):
        return value.reshape(1) if self.answer is None else self.answer

    def __getattr__(self, name):
        return getattr(self._accelerator, name)


def padded_trainer_step(tokenizer, masker, *, devices: int = 1, gradient_accumulation_steps: int = 1,
                        average_tokens_across_devices: bool = True):
    """``Trainer`` over padded micro-batches (``DataCollatorForSeq2Seq(tokenizer)``: labels padded with -100) of
    ``masker``'s rows (``{"input_ids", "labels"}``, unshifted, -100 = untrained), the step's
    conversations split in order over ``devices`` x ``gradient_accumulation_steps`` micro-batches.

    What runs is the Trainer's own code (transformers 5.25 ``trainer.py``): ``_get_num_items_in_batch`` (private: the
    count of trained tokens over one device's accumulated micro-batches; with ``average_tokens_across_devices``, summed
    over devices by ``accelerator.gather``), ``compute_loss(..., num_items_in_batch=...)`` (which multiplies the loss
    by ``num_processes`` when averaging across devices) and ``training_step``'s rule (the loss divided by the
    accumulation steps only when not normalised by ``num_items_in_batch``). Devices are emulated in this process: a
    device's ``gather`` is answered with every device's count, and the gradients are averaged over devices as DDP's
    all-reduce does (the sum of every device's loss over ``devices``). Documented normalisation: ``"token"`` with
    ``average_tokens_across_devices=True`` (the default), each device's own token mean (``"micro_batch_token"`` when
    each device runs one micro-batch) without it."""
    for name, value in (("devices", devices), ("gradient_accumulation_steps", gradient_accumulation_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    built: dict = {}

    def trainer_for(model, per_device: int):
        import tempfile

        from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

        class EmulatedDevices(TrainingArguments):
            @property
            def world_size(self):
                return devices

        args = EmulatedDevices(output_dir=tempfile.mkdtemp(prefix="harness-devices-"), report_to=[], use_cpu=True,
                               per_device_train_batch_size=per_device,
                               gradient_accumulation_steps=gradient_accumulation_steps,
                               average_tokens_across_devices=average_tokens_across_devices)
        trainer = Trainer(model=model, args=args, data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True))
        trainer.accelerator = _EmulatedRanks(trainer.accelerator, devices)
        return trainer

    def step(model, conversations):
        import torch

        parts = devices * gradient_accumulation_steps
        if len(conversations) < parts:
            raise ValueError(f"{len(conversations)} conversation(s) cannot fill {devices} device(s) x "
                             f"{gradient_accumulation_steps} micro-batch(es): draw at least {parts} per step")
        if built.get("model") is not model:
            built["trainer"], built["model"] = trainer_for(model, -(-len(conversations) // parts)), model
        trainer = built["trainer"]
        rows = [masker(c["messages"], c.get("tools")) for c in conversations]
        features = [{"input_ids": list(r["input_ids"]), "labels": list(r["labels"])} for r in rows]
        collate = trainer.data_collator
        bounds = [round(k * len(features) / parts) for k in range(parts + 1)]
        micro = [collate(features[bounds[k]:bounds[k + 1]]) for k in range(parts)]
        per_device = [micro[d * gradient_accumulation_steps:(d + 1) * gradient_accumulation_steps]
                      for d in range(devices)]
        device = torch.device("cpu")
        ranks = trainer.accelerator
        ranks.answer = None  # each device's own count first, then the gathered counts
        own = [trainer._get_num_items_in_batch(batches, device) for batches in per_device]
        if average_tokens_across_devices and devices > 1:
            ranks.answer = torch.stack([torch.as_tensor(n).reshape(()) for n in own])
            counts = [trainer._get_num_items_in_batch(batches, device) for batches in per_device]
            ranks.answer = None
        else:
            counts = own
        total = 0
        for batches, count in zip(per_device, counts):
            for batch in batches:
                inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "labels")}
                loss = trainer.compute_loss(model, inputs, num_items_in_batch=count)
                if count is None or not trainer.model_accepts_loss_kwargs:
                    loss = loss / gradient_accumulation_steps
                total = total + loss
        return total / devices  # DDP averages the devices' gradients

    step.normalization = "token" if average_tokens_across_devices or devices == 1 else "micro_batch_token"
    return step


def padded_reference_step(tokenizer, **options):
    """``padded_trainer_step`` over the harness's independent correct labels (see ``flattening_reference_step``)."""
    from harness.testing.reference import correct_masker

    return padded_trainer_step(tokenizer, correct_masker(tokenizer, tokenizer.eos_token), **options)
