"""axolotl's ``sample_packing`` as a training step for the check at the loss (``harness.check_training_step``).

``sample_packing_step(tokenizer, attn_implementation=...)`` -> ``step(model, conversations) -> loss``, axolotl
0.21.0's own data path for one optimizer step, run in its environment (``ENVIRONMENT``):

1. each conversation through ``chat_template.load(...).tokenize_prompt`` (``type: chat_template``, the adapter's
   masker defaults: ``input_ids``, ``attention_mask``, ``labels``);
2. ``utils/trainer.py`` ``process_datasets_for_packing`` (drops rows with no trained token, adds ``position_ids``
   0..n-1 per row through ``add_position_ids``);
3. ``AxolotlTrainer._get_dataloader`` (``core/trainers/base.py`` l. 622-634): the ``length`` column removed and, for a
   backend that isolates packed samples (``cfg.attn_decontaminates_packing``, ``utils/schemas/config.py`` l. 1593-1599:
   sdpa, eager and the ``ATTN_IMPLS_SUPPORTING_PACKING``), the ``attention_mask`` column dropped
   (``sample_packing_drop_attention_mask``, ``core/builders/causal.py`` l. 283-285);
4. ``MultipackBatchSampler`` (``utils/samplers/multipack.py``) packs the rows into bins as
   ``_create_multipack_sampler`` (base.py l. 363-424) builds it: sdpa/eager do not support varlen packing, so
   ``multipack_real_batches`` (causal.py l. 286-290): ``micro_batch_size`` bins of ``sequence_len`` tokens per batch;
5. ``V2BatchSamplerDataCollatorForSeq2Seq`` (``utils/collators/batching.py`` l. 212-250; qwen2 is in
   ``SUPPORTED_MULTIPACK_MODEL_TYPES``, causal.py l. 553-565) concatenates each bin, ``padding=True``,
   ``pad_to_multiple_of=64`` (causal.py l. 390-401);
6. the loss: ``AxolotlTrainer.compute_loss`` (base.py l. 771-822) is transformers' ``Trainer.compute_loss`` for a
   qwen2 model without ORPO or sequence parallelism; each micro-batch's loss is normalised by the optimizer step's
   ``num_items_in_batch`` (its trained tokens, ``Trainer._get_num_items_in_batch``) and the micro-batch losses are
   summed: a token mean over the optimizer step (docs/multipack.qmd l. 177 "the trainer's token-weighted loss
   normalization").

The model is called with ``attn_implementation`` set on it (axolotl passes ``attn_implementation`` to transformers
verbatim, docs/attention.qmd l. 12-14). axolotl applies no multipack patch to an in-tree model
(``monkeypatch/multipack.py`` ``patch_for_multipack`` l. 78-86: transformers detects packed sequences from the
position ids), so none is applied here. The rows of ``LOSS_CONFIGURATIONS`` (``harness.adapters.axolotl``) keep
``sequence_len`` at the check's ``max_step_tokens`` so that a step fits one bin (one micro-batch).
"""

from __future__ import annotations

from harness.adapters.axolotl.maskers import policy_for

# Backends whose sample_packing step runs on CPU (flash_attention_* need CUDA: see LOSS_CONFIGURATIONS).
CPU_ATTENTION = ("sdpa", "eager", "flex_attention")
PAD_TO_MULTIPLE_OF = 64  # core/builders/causal.py l. 393-401 (pad_to_sequence_len unset)


def _import_multipack():
    """axolotl's packing modules. ``utils/samplers/multipack.py`` imports numba only to ``@numba.njit`` its three
    bin-packing functions (l. 14, 32, 68, 201); the environment installs axolotl without its dependencies and numba
    has no build for it (its wheels are chosen for Python 3.12, the interpreter is the running one), so where numba
    is missing a placeholder whose ``njit`` returns the function stands in while they load: axolotl's own packing
    code then runs as plain Python (the same bins)."""
    import importlib.machinery
    import importlib.util
    import sys
    import types

    placeholder = None
    if "numba" not in sys.modules and importlib.util.find_spec("numba") is None:
        placeholder = types.ModuleType("numba")
        placeholder.__spec__ = importlib.machinery.ModuleSpec("numba", None)
        placeholder.njit = lambda function=None, **_: function if function is not None else (lambda f: f)
        sys.modules["numba"] = placeholder
    try:
        from axolotl.utils.samplers.multipack import MultipackBatchSampler
        from axolotl.utils.samplers.utils import get_dataset_lengths
        from axolotl.utils.trainer import process_datasets_for_packing
    finally:
        if placeholder is not None:
            del sys.modules["numba"]
    return MultipackBatchSampler, get_dataset_lengths, process_datasets_for_packing


def sample_packing_step(tokenizer, *, attn_implementation: str = "sdpa", sequence_len: int = 2048,
                        micro_batch_size: int = 1):
    """The step described in the module, for ``attn_implementation`` (one of ``CPU_ATTENTION``)."""
    if attn_implementation not in CPU_ATTENTION:
        raise ValueError(f"attn_implementation={attn_implementation!r}: the sample_packing step runs on CPU with "
                         f"{', '.join(CPU_ATTENTION)}")
    if not (isinstance(sequence_len, int) and sequence_len > 0 and isinstance(micro_batch_size, int)
            and micro_batch_size > 0):
        raise ValueError(f"sequence_len and micro_batch_size must be positive ints, got {sequence_len!r}, "
                         f"{micro_batch_size!r}")
    built: dict = {}

    def step(model, conversations):
        import torch
        from axolotl.prompt_strategies import chat_template
        from axolotl.utils.collators import V2BatchSamplerDataCollatorForSeq2Seq
        from axolotl.utils.dict import DictDefault
        from axolotl.utils.schemas.enums import ATTN_IMPLS_SUPPORTING_PACKING
        from torch.utils.data import SequentialSampler

        from harness.adapters.transformers.trainer import cpu_trainer
        from harness.adapters.trl.dataset_files import in_memory_dataset

        MultipackBatchSampler, get_dataset_lengths, process_datasets_for_packing = _import_multipack()
        cfg = DictDefault({"sequence_len": sequence_len, "train_on_inputs": False, "sample_packing": True,
                           "model_config_type": model.config.model_type, "dataset_num_proc": 1,
                           "is_preprocess": False})
        if built.get("model") is not model:
            if hasattr(model, "set_attn_implementation"):
                model.set_attn_implementation(attn_implementation)
            else:
                model.config._attn_implementation = attn_implementation
            collator = V2BatchSamplerDataCollatorForSeq2Seq(tokenizer, padding=True,
                                                            pad_to_multiple_of=PAD_TO_MULTIPLE_OF,
                                                            return_tensors="pt")
            built.update(model=model, trainer=cpu_trainer(model, data_collator=collator, prefix="harness-axolotl-",
                                                          per_device_train_batch_size=micro_batch_size),
                         strategy=chat_template.load(tokenizer, cfg, {"type": "chat_template"}))
        trainer, strategy = built["trainer"], built["strategy"]
        rows = []
        for conversation in conversations:
            row = {"messages": [dict(m) for m in conversation["messages"]]}
            if conversation.get("tools"):
                row["tools"] = conversation["tools"]
            rows.append({k: list(v) for k, v in strategy.tokenize_prompt(row).items()
                         if k in ("input_ids", "attention_mask", "labels")})
        if not any(label != -100 for row in rows for label in row["labels"]):
            # process_datasets_for_packing raises (utils/trainer.py l. 282-290, 314): axolotl trains nothing of this
            # step (its conversations' assistant turns are all empty); the loss carries no gradient
            return torch.zeros((), requires_grad=True)
        dataset, _ = process_datasets_for_packing(cfg, in_memory_dataset(rows), None)
        dataset = dataset.remove_columns(["length"])  # base.py l. 624-625
        supports_packing = attn_implementation in ATTN_IMPLS_SUPPORTING_PACKING
        # cfg.attn_decontaminates_packing (config.py l. 1593-1599) -> sample_packing_drop_attention_mask
        if supports_packing or attn_implementation in ("sdpa", "eager"):
            dataset = dataset.remove_columns(["attention_mask"])  # base.py l. 627-634
        real_batches = not supports_packing  # causal.py l. 286-290
        sampler = MultipackBatchSampler(
            SequentialSampler(range(len(dataset))), lengths=get_dataset_lengths(dataset),
            batch_size=micro_batch_size if real_batches else 1,
            batch_max_len=sequence_len if real_batches else micro_batch_size * sequence_len,
            bin_size=200, group_size=100_000, packing_efficiency_estimate=1.0, drop_last=True, num_processes=1,
            padding_multiple=PAD_TO_MULTIPLE_OF, seed=0)
        batches = [trainer.data_collator([[dataset[int(i)] for i in bin_] for bin_ in batch]) for batch in sampler]
        if sum(len(bin_) for batch in sampler for bin_ in batch) != len(dataset):
            raise ValueError(f"axolotl's multipack sampler left out some of the {len(dataset)} conversations "
                             f"(sequence_len={sequence_len}): raise sequence_len or the check's max_step_tokens")
        items = trainer._get_num_items_in_batch(batches, torch.device("cpu"))
        loss = None
        for batch in batches:
            inputs = {k: batch[k] for k in ("input_ids", "labels", "position_ids", "attention_mask") if k in batch}
            part = trainer.compute_loss(model, inputs, num_items_in_batch=items)
            loss = part if loss is None else loss + part
        return loss

    step.policy = policy_for({})
    step.normalization = "token"
    step.attn_implementation = attn_implementation
    return step
