"""LlamaFactory's ``neat_packing`` (and plain ``packing``) SFT as a training step for the check at the loss
(``harness.check_training_step``).

``packing_step(tokenizer, neat_packing=True, attn_implementation=...)`` -> ``step(model, conversations) -> loss``,
LlamaFactory 0.9.5's own data path for one optimizer step, run in its environment (``ENVIRONMENT``):

1. each conversation through its dataset converter (``formatting``: "sharegpt", data/README.md's "OpenAI Format"
   with role/content tags, by default; "openai" rewrites every system prompt, the finding
   ``llamafactory-openai-converter-rewrites-system-prompt``) and the README's template for the model, as the
   adapter's masker (``maskers.masker``);
2. all of them, as one ``datasets.map`` batch (``data/loader.py`` ``_get_preprocessed_dataset``, l. 255-259), through
   ``PackedSupervisedDatasetProcessor.preprocess_dataset`` (``data/processor/supervised.py`` l. 146-251, chosen by
   ``data.packing``, which ``neat_packing`` sets: ``hparams/data_args.py`` l. 185-189, with ``cutoff_len -= 1``):
   ``greedy_knapsack`` packs them into rows of ``cutoff_len`` tokens, position ids restart at 0 for each
   conversation (l. 199) and, with ``neat_packing``, the attention mask holds each conversation's index (1, 2, ...;
   0 on the padding, l. 213-226);
3. ``SFTDataCollatorWith4DAttentionMask`` as ``train/sft/workflow.py`` l. 62-72 builds it (``pad_to_multiple_of=8``,
   ``block_diag_attn`` = ``neat_packing``: ``hparams/parser.py`` l. 519; ``attn_implementation`` the model's;
   ``compute_dtype`` the model's dtype, as ``model/patcher.py`` l. 320-325 infers it when no bf16/fp16 is set): for
   eager/sdpa it turns the index mask into a block-diagonal causal 4-D mask (``data/collator.py``
   ``prepare_4d_attention_mask`` l. 93-133, l. 521-525);
4. the loss: ``CustomSeq2SeqTrainer.compute_loss`` (``train/sft/trainer.py`` l. 151-162), transformers'
   ``Trainer.compute_loss`` with ``num_items_in_batch`` (the batch's trained tokens): a token mean over the step;
   ``remove_unused_columns=False`` (parser.py l. 459), so the collator's whole output reaches the model.

The packed rows of one step form one batch (one micro-batch, no accumulation; the trainer is built once per model).
``flash_attention_2`` (the collator then drops the mask and lets transformers split the row by its position ids,
collator.py l. 527-532) needs the ``flash_attn`` CUDA kernels: it has no CPU step (``LOSS_CONFIGURATIONS``).
"""

from __future__ import annotations

from harness.adapters.llamafactory.maskers import (
    DATASET_INFO,
    FORMATTINGS,
    _import_llamafactory,
    policy_for,
    sharegpt_messages,
    template_for,
)

CPU_ATTENTION = ("sdpa", "eager")


def packing_step(tokenizer, *, neat_packing: bool = True, attn_implementation: str = "sdpa", cutoff_len: int = 1024,
                 template: str | None = None, formatting: str = "sharegpt"):
    """The step described in the module. ``cutoff_len``: LlamaFactory's ``cutoff_len`` (each packed row's length);
    ``formatting``: the dataset_info formatting, as in the adapter's masker."""
    if formatting not in FORMATTINGS:
        raise ValueError(f"formatting={formatting!r}: one of {FORMATTINGS}")
    if attn_implementation not in CPU_ATTENTION:
        raise ValueError(f"attn_implementation={attn_implementation!r}: the packing step runs on CPU with "
                         f"{', '.join(CPU_ATTENTION)}")
    if not (isinstance(cutoff_len, int) and cutoff_len > 8):
        raise ValueError(f"cutoff_len must be an int > 8, got {cutoff_len!r}")
    built: dict = {}

    def prepare():
        import copy
        import json

        converter_cls, attr_cls, _, get_template, data_args_cls = _import_llamafactory(formatting)
        from llamafactory.data.processor.supervised import PackedSupervisedDatasetProcessor

        data_args = data_args_cls(template=template or template_for(tokenizer), cutoff_len=cutoff_len,
                                  packing=True, neat_packing=neat_packing)
        own = copy.deepcopy(tokenizer)
        chosen = get_template(own, data_args)
        attr = attr_cls("file", "harness", formatting=formatting, **DATASET_INFO["columns"], **DATASET_INFO["tags"])
        converter = converter_cls(attr, data_args)
        processor = PackedSupervisedDatasetProcessor(template=chosen, tokenizer=own, processor=None,
                                                     data_args=data_args)

        def rows(conversations):
            def messages(conversation):
                listed = [dict(m) for m in conversation["messages"]]
                return sharegpt_messages(listed) if formatting == "sharegpt" else listed

            converted = [converter({"messages": messages(c), "tools": json.dumps(c["tools"]) if c.get("tools") else ""})
                         for c in conversations]
            batch = {key: [row[key] for row in converted] for key in converted[0]}
            out = processor.preprocess_dataset(batch)
            return [{key: out[key][i] for key in out} for i in range(len(out["input_ids"]))]

        built.update(rows=rows, tokenizer=own, template=chosen, data_args=data_args)

    def trainer_for(model, rows: int):
        import tempfile

        from llamafactory.data import SFTDataCollatorWith4DAttentionMask
        from llamafactory.extras.constants import IGNORE_INDEX
        from llamafactory.hparams import FinetuningArguments, TrainingArguments
        from llamafactory.train.sft.trainer import CustomSeq2SeqTrainer

        if hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation(attn_implementation)
        else:
            model.config._attn_implementation = attn_implementation
        collator = SFTDataCollatorWith4DAttentionMask(
            template=built["template"], model=model, pad_to_multiple_of=8, label_pad_token_id=IGNORE_INDEX,
            block_diag_attn=neat_packing, neat_packing=neat_packing,
            attn_implementation=getattr(model.config, "_attn_implementation", None), compute_dtype=model.dtype,
            tokenizer=built["tokenizer"], processor=None)
        args = TrainingArguments(output_dir=tempfile.mkdtemp(prefix="harness-llamafactory-"), report_to=[],
                                 use_cpu=True, per_device_train_batch_size=rows, remove_unused_columns=False)
        return CustomSeq2SeqTrainer(model=model, args=args, finetuning_args=FinetuningArguments(), processor=None,
                                    data_collator=collator, tokenizer=built["tokenizer"])

    def step(model, conversations):
        import torch

        if "rows" not in built:
            prepare()
        rows = built["rows"](conversations)
        if not rows:  # the converter or processor dropped every conversation: LlamaFactory trains nothing of them
            return torch.zeros((), requires_grad=True)
        if built.get("model") is not model:
            built.update(model=model, trainer=trainer_for(model, len(rows)))
        trainer = built["trainer"]
        batch = trainer.data_collator(rows)
        items = trainer._get_num_items_in_batch([batch], torch.device("cpu"))
        inputs = {k: v for k, v in batch.items() if v is not None}
        return trainer.compute_loss(model, inputs, num_items_in_batch=items)

    step.policy = policy_for(False)
    step.normalization = "token"
    step.attn_implementation = attn_implementation
    return step
