"""trl's SFT data path, read without training: the labels ``SFTTrainer`` trains on and the loss it computes.

* ``sft_trainer_masker``: the labels ``SFTTrainer(assistant_only_loss=True)`` would train on, read from the
  trainer's own dataset preparation and data collator (a masker for ``harness.check_masker``);
* ``sft_prompt_completion_labels``: the same for prompt/completion rows (completion-only loss);
* ``sft_collated_batch`` / ``sft_loss_fn``: one collated batch, and the trainer's own ``compute_loss``.

torch, transformers and trl are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.adapters.transformers import tiny_causal_lm
from harness.adapters.trl._private import prepare_sft_dataset, random_dataset_fingerprints, sft_swapped_chat_template
from harness.adapters.trl.config import common_args, quiet, release
from harness.adapters.trl.templates import trl_template_name


def _sft_trainer_for_inspection(tokenizer, model, output_dir: str):
    """An SFTTrainer(assistant_only_loss=True) over a one-example placeholder dataset, never trained.

    Building it runs trl's own checks: it swaps in a ``*_training.jinja`` template for known templates and raises
    for a template with no ``{% generation %}`` markers that it cannot patch.
    """
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    placeholder = Dataset.from_list(
        [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "tools": None}]
    )
    args = SFTConfig(
        assistant_only_loss=True,
        max_length=None,
        shuffle_dataset=False,
        dataset_num_proc=None,
        per_device_train_batch_size=1,
        **common_args(output_dir, seed=0),
    )
    try:
        with random_dataset_fingerprints():
            return SFTTrainer(model=model, args=args, train_dataset=placeholder, processing_class=tokenizer)
    except ValueError as error:
        raise ValueError(
            f"trl's SFTTrainer(assistant_only_loss=True) refused the chat template of {tokenizer.name_or_path!r}: "
            f"{error}"
        ) from error


def sft_trainer_masker(tokenizer, *, chat_template: str | None = None, model=None):
    """A masker backed by trl's real SFT data path.

    ``masker(messages, tools) -> {"input_ids": [...], "labels": [...]}``: labels are unshifted (HF convention),
    ``-100`` where SFTTrainer would not train and ``labels[i] == input_ids[i]`` where it would. For each call the
    trainer's own ``_prepare_dataset`` tokenizes the one-row conversational dataset ``{"messages", "tools"}`` and
    its ``data_collator`` batches it; the labels are read from the collated batch.

    The trainer is built once per masker (``model`` defaults to a tiny random Qwen2 on CPU). trl chooses the
    template: when the tokenizer's own template has no ``{% generation %}`` markers it swaps in its
    ``*_training.jinja`` variant. ``masker.chat_template_used`` is the template that produced the labels and
    ``masker.training_template_swapped`` tells whether trl replaced the tokenizer's template. ``masker.policy`` is trl's
    convention (the glue after the stop token is trained). A template trl cannot
    patch raises ``ValueError`` when the masker is built. ``masker.many([(messages, tools), ...])`` prepares several
    conversations as one dataset (one ``datasets.map``: its fingerprint pickles the tokenizer, seconds for a 256k
    vocabulary).
    """
    import copy
    import json
    import tempfile

    quiet()
    # A shallow copy takes an attribute (chat_template) without touching the caller's tokenizer; setting a special
    # token writes into state the copies share, so that needs a deep copy (seconds for a 256k vocabulary).
    tokenizer = copy.deepcopy(tokenizer) if tokenizer.pad_token is None else copy.copy(tokenizer)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model is None:
        model = tiny_causal_lm(tokenizer)
    output_dir = tempfile.mkdtemp(prefix="harness-sft-masker-")
    trainer = _sft_trainer_for_inspection(tokenizer, model, output_dir)
    collator = trainer.data_collator

    def prepare(conversations: Sequence[tuple[list[dict], list[dict] | None]]):
        """Several conversations as the rows of one dataset (one ``datasets.map``, as a user's mixed dataset
        is prepared: Arrow unifies the rows' message fields, missing ones come back as None). Built as trl's dataset
        docs say for tool calls (``on_mixed_types="use_json"``: the ``Json()`` type where fields differ, so a call's
        ``arguments`` keep their own keys rather than the union of every call's, as ``null``)."""
        from datasets import Dataset

        rows = [{"messages": [dict(m) for m in messages], "tools": json.dumps(list(tools)) if tools else None}
                for messages, tools in conversations]
        with random_dataset_fingerprints():
            return prepare_sft_dataset(trainer, Dataset.from_list(rows, on_mixed_types="use_json"))

    def many(conversations: Sequence[tuple[list[dict], list[dict] | None]]) -> list[dict]:
        prepared = prepare(conversations)
        out = []
        for i in range(len(prepared)):
            batch = collator([{k: prepared[i][k] for k in ("input_ids", "labels")}])
            out.append({"input_ids": batch["input_ids"][0].tolist(), "labels": batch["labels"][0].tolist()})
        return out

    def masker(messages: list[dict], tools: list[dict] | None) -> dict:
        return many([(messages, tools)])[0]

    swapped = sft_swapped_chat_template(trainer)
    from harness.masking.policy import Policy

    # trl's training templates close {% generation %} after the "\n" that follows the stop token: its convention.
    masker.policy = Policy(train_glue_after_stop=True)
    masker.many = many
    masker.prepare = prepare
    masker.chat_template_used = swapped or tokenizer.chat_template
    masker.chat_template_name = trl_template_name(masker.chat_template_used)
    masker.training_template_swapped = swapped is not None
    masker.trainer = trainer
    return masker


def sft_prompt_completion_labels(tokenizer, rows: Sequence[dict], model=None) -> list[dict]:
    """Per ``{"prompt": str, "completion": str}`` row, ``{"input_ids", "labels"}`` exactly as a default
    ``SFTTrainer`` (completion-only loss, trl's default for prompt/completion data) prepares and collates it."""
    import tempfile

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    quiet()
    if tokenizer.pad_token is None:
        import copy

        tokenizer = copy.copy(tokenizer)
        tokenizer.pad_token = tokenizer.eos_token
    if model is None:
        model = tiny_causal_lm(tokenizer)
    args = SFTConfig(max_length=None, dataset_num_proc=None, per_device_train_batch_size=1,
                     **common_args(tempfile.mkdtemp(prefix="harness-sft-pc-"), seed=0))
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(list(rows)), processing_class=tokenizer)
    release(model)
    out = []
    for i in range(len(trainer.train_dataset)):
        example = {k: v for k, v in trainer.train_dataset[i].items() if k in ("input_ids", "labels", "completion_mask")}
        batch = trainer.data_collator([example])
        out.append({"input_ids": batch["input_ids"][0].tolist(), "labels": batch["labels"][0].tolist()})
    return out


def sft_collated_batch(tokenizer, rows: Sequence[dict], model=None) -> dict:
    """One batch of ``rows`` exactly as SFTTrainer(assistant_only_loss=True) would feed it to the model
    (its ``_prepare_dataset`` then its ``data_collator``): tensors ``input_ids``, ``labels`` (-100 = masked) ..."""
    import tempfile

    from datasets import Dataset

    quiet()
    if model is None:
        model = tiny_causal_lm(tokenizer)
    trainer = _sft_trainer_for_inspection(tokenizer, model, tempfile.mkdtemp(prefix="harness-sft-batch-"))
    prepared = prepare_sft_dataset(trainer, Dataset.from_list(list(rows)))
    examples = [{k: prepared[i][k] for k in ("input_ids", "labels")} for i in range(len(prepared))]
    release(model)
    return dict(trainer.data_collator(examples))


def sft_loss_fn(tokenizer, model):
    """``loss_fn(model, batch)``: SFTTrainer's own ``compute_loss`` (fused LM head, assistant-only labels) on a
    batch from its collator. Built once; the trainer is never trained."""
    import tempfile

    quiet()
    trainer = _sft_trainer_for_inspection(tokenizer, model, tempfile.mkdtemp(prefix="harness-sft-loss-"))

    def loss_fn(model_, batch):
        inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "labels")}
        return trainer.compute_loss(model_, inputs)

    return loss_fn
