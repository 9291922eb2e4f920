"""trl's SFT training step for the check at the loss (``harness.check_training_step``).

``sft_training_step(tokenizer)`` -> ``step(model, conversations) -> loss``: the conversations go through
``SFTTrainer(assistant_only_loss=True)``'s own dataset preparation (``_prepare_dataset``, with trl's choice of
training template) and its ``data_collator`` as one batch (``per_device_train_batch_size`` = the step's
conversations, no gradient accumulation), and the loss is the trainer's own ``compute_loss`` on ``model``: what
``Trainer.training_step`` backpropagates for that batch. Documented normalisation: a mean over the batch's trained
tokens (``"token"``); ``step.policy`` is trl's documented convention ``Policy(train_glue_after_stop=True)``.
"""

from __future__ import annotations

from harness.adapters.trl.sft import sft_trainer_masker
from harness.masking.oracle import Policy

TRL_SFT_POLICY = Policy(train_glue_after_stop=True)


def sft_training_step(tokenizer, *, chat_template: str | None = None):
    """The SFTTrainer step (see the module). The trainer is built on the first call's model, again if the model
    changes."""
    built: dict = {}

    def step(model, conversations):
        if built.get("model") is not model:
            built["masker"] = sft_trainer_masker(tokenizer, chat_template=chat_template, model=model)
            built["model"] = model
        masker = built["masker"]
        trainer = masker.trainer
        prepared = masker.prepare([(c["messages"], c.get("tools")) for c in conversations])
        batch = trainer.data_collator([{k: prepared[i][k] for k in ("input_ids", "labels")}
                                       for i in range(len(prepared))])
        inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "labels")}
        return trainer.compute_loss(model, inputs)

    step.policy = TRL_SFT_POLICY
    step.normalization = "token"
    return step
