"""The running ``transformers.Trainer`` as a callback sees it: its base class, finding it, logging through it."""

from __future__ import annotations

from collections.abc import Mapping


def trainer_callback_base() -> type:
    """``transformers.TrainerCallback`` (imported on first use, so harness.audit.training_run stays light)."""
    from transformers import TrainerCallback

    return TrainerCallback


def running_trainer():
    """The ``transformers.Trainer`` (trl's SFTTrainer, GRPOTrainer ...) whose method is on the call stack, or None.

    Callbacks are handed the model, the processing class and the dataloaders, never the trainer; a callback event
    is always called from one of the trainer's own methods, so its ``self`` is found a few frames up."""
    import inspect

    from transformers import Trainer

    frame = inspect.currentframe()
    try:
        while frame is not None:
            candidate = frame.f_locals.get("self")
            if isinstance(candidate, Trainer):
                return candidate
            frame = frame.f_back
        return None
    finally:
        del frame


def log_to_trainer(trainer, metrics: Mapping[str, float]) -> None:
    """Log ``metrics`` through ``Trainer.log``: the log history and every reporting callback (wandb, tensorboard).

    The base class's method, not a subclass's: trl's GRPOTrainer.log would flush (and reset) its own running
    metrics into this entry. The trainer's pending ``should_log`` (which ``on_log`` clears) is kept, so its own
    loss entry for the step is still written."""
    from transformers import Trainer

    should_log = trainer.control.should_log
    Trainer.log(trainer, dict(metrics))
    trainer.control.should_log = should_log


def trainer_logger():
    """The logger transformers' Trainer itself writes to (its level follows ``TrainingArguments.log_level``)."""
    from transformers.utils import logging

    return logging.get_logger("transformers.trainer")


def cpu_trainer(model, *, data_collator=None, prefix: str = "harness-trainer-", **arguments):
    """A plain ``Trainer`` on CPU for a training step (nothing reported, a temporary output folder):
    ``TrainingArguments(use_cpu=True, report_to=[], **arguments)``."""
    import tempfile

    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(output_dir=tempfile.mkdtemp(prefix=prefix), report_to=[], use_cpu=True, **arguments)
    return Trainer(model=model, args=args, data_collator=data_collator)
