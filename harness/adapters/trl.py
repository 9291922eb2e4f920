"""Everything the harness asks of ``trl``. No other harness module imports trl.

Sections:

* SFT data path — ``sft_trainer_masker``: the labels ``SFTTrainer(assistant_only_loss=True)`` would train on,
  read from the trainer's own dataset preparation and data collator.
* SFT warm-up — ``run_sft``: a short SFTTrainer run (assistant-only loss) on a conversational dataset.
* GRPO — ``run_grpo``: a GRPOTrainer run (optionally with tools, through trl's own tool loop), with a
  ``mask_mode`` that deliberately breaks the completion mask for the learning-signal controls, and
  ``grpo_rollout_batch``: one real rollout batch with GRPO's loss mask and, recorded from the model's own
  ``generate`` calls, which completion tokens were sampled (checked by ``harness.rollouts.masks``).

torch, transformers and trl are imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import Any

from harness.adapters.transformers import tiny_causal_lm

# ---------------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------------


def _quiet() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("WANDB_DISABLED", "true")
    import datasets

    datasets.disable_progress_bars()


def _common_args(output_dir: str, seed: int) -> dict[str, Any]:
    """TrainingArguments shared by every trainer the harness builds: no saving, no reporting, CPU unless CUDA."""
    import torch

    return {
        "output_dir": output_dir,
        "seed": seed,
        "data_seed": seed,
        "report_to": [],
        "save_strategy": "no",
        "logging_steps": 1,
        "disable_tqdm": True,
        "use_cpu": not torch.cuda.is_available(),
        "dataloader_num_workers": 0,
        # beta2 0.95 (not 0.999): the large early gradients of the format tokens otherwise inflate Adam's second
        # moment for hundreds of steps, and the small copy (answer-digit) gradients that follow barely move the model.
        "adam_beta2": 0.95,
        # trl turns gradient checkpointing on by default; tiny models do not need it, it slows CPU runs, and a
        # model passed through two trainers (warm-up phases, then GRPO) must come out of each one unchanged.
        "gradient_checkpointing": False,
        # Constant learning rate, no warm-up, gradient clipping at 1.0: short runs whose curves compare conditions.
        "lr_scheduler_type": "constant",
        "warmup_steps": 0,
        "max_grad_norm": 1.0,
    }


@contextlib.contextmanager
def _random_dataset_fingerprints():
    """Within the block, ``datasets`` gives each ``map`` a random fingerprint instead of hashing its arguments.

    The hash pickles the tokenizer trl passes to ``map`` (about 20 s for a 256k vocabulary). The datasets here are
    built in memory (``Dataset.from_list``) and never cached to disk, so the fingerprint identifies nothing: the
    tokenization, masks and collation are trl's, unchanged. Only attributes that exist are replaced.
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


def release(model) -> None:
    """Undo what a finished trainer left on ``model``: accelerate replaces ``model.forward`` with an instance
    attribute (a wrapper closing over the *original* bound forward). A ``copy.deepcopy`` of such a model keeps
    calling the original's weights, so the copy's generations and losses silently ignore its own parameters."""
    for attribute in ("forward", "_original_forward"):
        model.__dict__.pop(attribute, None)


def qwen2_5_chat_template() -> str:
    """trl's own copy of the Qwen2.5 chat template (trl recognises it: training template, tool-call parser)."""
    from trl.chat_template_utils import qwen2_5_chat_template as template

    return template


# ---------------------------------------------------------------------------------------------------------------
# SFT data path
# ---------------------------------------------------------------------------------------------------------------


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
        **_common_args(output_dir, seed=0),
    )
    try:
        with _random_dataset_fingerprints():
            return SFTTrainer(model=model, args=args, train_dataset=placeholder, processing_class=tokenizer)
    except ValueError as error:
        raise ValueError(
            f"trl's SFTTrainer(assistant_only_loss=True) refused the chat template of {tokenizer.name_or_path!r}: "
            f"{error}"
        ) from error


def trl_template_name(chat_template: str | None) -> str | None:
    """The file name of the trl-shipped template equal to ``chat_template`` (``qwen3_training.jinja``), or None."""
    from pathlib import Path

    import trl

    if not chat_template:
        return None
    for path in sorted((Path(trl.__file__).parent / "chat_templates").glob("*.jinja")):
        if path.read_text(encoding="utf-8") == chat_template:
            return path.name
    return None


def training_chat_template(tokenizer) -> tuple[str, str]:
    """``(template, label)``: the template trl trains ``tokenizer`` with under ``assistant_only_loss`` — its
    ``*_training.jinja`` replacement, or the tokenizer's own template when that already has ``{% generation %}``
    markers. ``label`` names it (``qwen3_training.jinja (trl)`` or ``the tokenizer's own``). Raises ValueError
    (trl's message) for a template trl cannot patch."""
    from trl.chat_template_utils import get_training_chat_template

    replacement = get_training_chat_template(tokenizer)
    if replacement is not None:
        return replacement, f"{trl_template_name(replacement) or 'a patched template'} (trl)"
    own = tokenizer.chat_template
    return (own["default"] if isinstance(own, dict) else own), "the tokenizer's own"


def sft_trainer_masker(tokenizer, *, chat_template: str | None = None, model=None):
    """A masker backed by trl's real SFT data path.

    ``masker(messages, tools) -> {"input_ids": [...], "labels": [...]}``: labels are unshifted (HF convention),
    ``-100`` where SFTTrainer would not train and ``labels[i] == input_ids[i]`` where it would. For each call the
    trainer's own ``_prepare_dataset`` tokenizes the one-row conversational dataset ``{"messages", "tools"}`` and
    its ``data_collator`` batches it; the labels are read from the collated batch.

    The trainer is built once per masker (``model`` defaults to a tiny random Qwen2 on CPU). trl chooses the
    template: when the tokenizer's own template has no ``{% generation %}`` markers it swaps in its
    ``*_training.jinja`` variant. ``masker.chat_template_used`` is the template that produced the labels and
    ``masker.training_template_swapped`` tells whether trl replaced the tokenizer's template. A template trl cannot
    patch raises ``ValueError`` when the masker is built. ``masker.many([(messages, tools), ...])`` prepares several
    conversations as one dataset (one ``datasets.map``: its fingerprint pickles the tokenizer, seconds for a 256k
    vocabulary).
    """
    import copy
    import json
    import tempfile

    _quiet()
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

    def many(conversations: Sequence[tuple[list[dict], list[dict] | None]]) -> list[dict]:
        """Several conversations as the rows of one dataset (one ``datasets.map``, as a user's mixed dataset
        is prepared: Arrow unifies the rows' message fields, missing ones come back as None)."""
        from datasets import Dataset

        rows = [{"messages": [dict(m) for m in messages], "tools": json.dumps(list(tools)) if tools else None}
                for messages, tools in conversations]
        with _random_dataset_fingerprints():
            prepared = trainer._prepare_dataset(
                Dataset.from_list(rows), trainer.processing_class, trainer.args, False, None, "harness"
            )
        out = []
        for i in range(len(prepared)):
            batch = collator([{k: prepared[i][k] for k in ("input_ids", "labels")}])
            out.append({"input_ids": batch["input_ids"][0].tolist(), "labels": batch["labels"][0].tolist()})
        return out

    def masker(messages: list[dict], tools: list[dict] | None) -> dict:
        return many([(messages, tools)])[0]

    masker.many = many
    masker.chat_template_used = trainer.chat_template or tokenizer.chat_template
    masker.chat_template_name = trl_template_name(masker.chat_template_used)
    masker.training_template_swapped = trainer.chat_template is not None
    masker.trainer = trainer
    return masker


def sft_prompt_completion_labels(tokenizer, rows: Sequence[dict], model=None) -> list[dict]:
    """Per ``{"prompt": str, "completion": str}`` row, ``{"input_ids", "labels"}`` exactly as a default
    ``SFTTrainer`` (completion-only loss, trl's default for prompt/completion data) prepares and collates it."""
    import tempfile

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    _quiet()
    if tokenizer.pad_token is None:
        import copy

        tokenizer = copy.copy(tokenizer)
        tokenizer.pad_token = tokenizer.eos_token
    if model is None:
        model = tiny_causal_lm(tokenizer)
    args = SFTConfig(max_length=None, dataset_num_proc=None, per_device_train_batch_size=1,
                     **_common_args(tempfile.mkdtemp(prefix="harness-sft-pc-"), seed=0))
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(list(rows)), processing_class=tokenizer)
    release(model)
    out = []
    for i in range(len(trainer.train_dataset)):
        example = {k: v for k, v in trainer.train_dataset[i].items() if k in ("input_ids", "labels", "completion_mask")}
        batch = trainer.data_collator([example])
        out.append({"input_ids": batch["input_ids"][0].tolist(), "labels": batch["labels"][0].tolist()})
    return out


# ---------------------------------------------------------------------------------------------------------------
# SFT warm-up
# ---------------------------------------------------------------------------------------------------------------


def run_sft(
    model,
    tokenizer,
    rows: Sequence[dict],
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    output_dir: str,
    stop_below_loss: float | None = None,
    callbacks: Sequence[Any] = (),
    assistant_only_loss: bool = True,
) -> list[dict]:
    """Train ``model`` in place with SFTTrainer(assistant_only_loss=True) on conversational ``rows``
    (``{"messages", "tools"}``); returns trl's log history (one entry per step). With ``stop_below_loss``
    training stops early at the first logged step whose loss is below it. ``callbacks`` are added to the trainer's;
    ``assistant_only_loss=False`` trains every token (the classic broken mask, for audits)."""
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class StopBelowLoss(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if stop_below_loss is not None and logs and logs.get("loss", float("inf")) < stop_below_loss:
                control.should_training_stop = True

    _quiet()
    args = SFTConfig(
        assistant_only_loss=assistant_only_loss,
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        max_length=None,
        dataset_num_proc=None,
        **_common_args(output_dir, seed),
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(list(rows)),
        processing_class=tokenizer,
        callbacks=[StopBelowLoss(), *callbacks],
    )
    trainer.train()
    release(model)
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def sft_collated_batch(tokenizer, rows: Sequence[dict], model=None) -> dict:
    """One batch of ``rows`` exactly as SFTTrainer(assistant_only_loss=True) would feed it to the model
    (its ``_prepare_dataset`` then its ``data_collator``): tensors ``input_ids``, ``labels`` (-100 = masked) ..."""
    import tempfile

    from datasets import Dataset

    _quiet()
    if model is None:
        model = tiny_causal_lm(tokenizer)
    trainer = _sft_trainer_for_inspection(tokenizer, model, tempfile.mkdtemp(prefix="harness-sft-batch-"))
    prepared = trainer._prepare_dataset(
        Dataset.from_list(list(rows)), trainer.processing_class, trainer.args, False, None, "harness"
    )
    examples = [{k: prepared[i][k] for k in ("input_ids", "labels")} for i in range(len(prepared))]
    release(model)
    return dict(trainer.data_collator(examples))


# ---------------------------------------------------------------------------------------------------------------
# GRPO
# ---------------------------------------------------------------------------------------------------------------

# How the GRPO completion loss mask is built:
#   "correct":         trl's own mask (model tokens trained, tool results masked).
#   "post_tool_masked": broken on purpose: every model token after the first tool result is masked, i.e. the
#                       assistant's final answer after the tool is never trained.
#   "tool_only":        broken on purpose: only tool-result tokens are trained (trl's tool mask inverted).
MASK_MODES = ("correct", "post_tool_masked", "tool_only")


def _break_tool_mask(tool_mask, completion_mask, mode: str):
    """The deliberately wrong loss mask for ``mode`` (tool_mask: 1 = model token, 0 = tool result)."""
    import torch

    if mode == "correct":
        return tool_mask
    if mode == "tool_only":
        return (1 - tool_mask) * completion_mask
    if mode == "post_tool_masked":
        is_tool = (tool_mask == 0) & (completion_mask == 1)
        seen_tool = torch.cumsum(is_tool.long(), dim=1) > 0
        return tool_mask * (~seen_tool).long()
    raise ValueError(f"unknown mask mode {mode!r}; choose one of {MASK_MODES}")


def _grpo_trainer_class(mask_mode: str):
    """GRPOTrainer, or a subclass that rewrites the loss mask after trl built it (the broken-masking controls).

    The override sits on ``_generate_and_score_completions`` (trl 1.16): its output carries ``tool_mask``, which
    ``_compute_loss`` multiplies into ``completion_mask``; ``num_items_in_batch`` is recomputed to match.
    """
    from trl import GRPOTrainer

    if mask_mode == "correct":
        return GRPOTrainer
    if mask_mode not in MASK_MODES:
        raise ValueError(f"unknown mask mode {mask_mode!r}; choose one of {MASK_MODES}")

    class BrokenMaskGRPOTrainer(GRPOTrainer):
        def _generate_and_score_completions(self, inputs):
            output = super()._generate_and_score_completions(inputs)
            completion_mask = output["completion_mask"]
            tool_mask = output.get("tool_mask")
            if tool_mask is None:
                raise ValueError(f"mask_mode={mask_mode!r} needs a tool-calling run (GRPOTrainer(tools=...))")
            output["tool_mask"] = _break_tool_mask(tool_mask, completion_mask, mask_mode)
            loss_mask = completion_mask * output["tool_mask"]
            output["num_items_in_batch"] = self.accelerator.gather(loss_mask.sum()).sum()
            return output

    return BrokenMaskGRPOTrainer


def _grpo_args(*, steps, prompts_per_step, num_generations, learning_rate, max_completion_length, seed, output_dir):
    from trl import GRPOConfig

    return GRPOConfig(
        max_steps=steps,
        per_device_train_batch_size=prompts_per_step * num_generations,
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        learning_rate=learning_rate,
        beta=0.0,
        temperature=1.0,
        max_tool_calling_iterations=2,
        shuffle_dataset=True,
        **_common_args(output_dir, seed),
    )


def run_grpo(
    model,
    tokenizer,
    rows: Sequence[dict],
    reward_funcs: Sequence[Callable],
    *,
    reward_weights: Sequence[float] | None = None,
    tools: Sequence[Callable] | None = None,
    mask_mode: str = "correct",
    steps: int,
    prompts_per_step: int,
    num_generations: int,
    learning_rate: float,
    max_completion_length: int,
    seed: int,
    output_dir: str,
    callbacks: Sequence[Any] = (),
) -> list[dict]:
    """Train ``model`` in place with trl's GRPOTrainer on ``rows`` (``{"prompt": messages, ...}``); with ``tools``
    the rollouts go through trl's own tool-calling loop. ``callbacks`` are added to the trainer's. Returns trl's
    per-step log history."""
    from datasets import Dataset

    _quiet()
    args = _grpo_args(
        steps=steps,
        prompts_per_step=prompts_per_step,
        num_generations=num_generations,
        learning_rate=learning_rate,
        max_completion_length=max_completion_length,
        seed=seed,
        output_dir=output_dir,
    )
    if reward_weights is not None:
        args.reward_weights = list(reward_weights)
    trainer_cls = _grpo_trainer_class(mask_mode)
    trainer = trainer_cls(
        model=model,
        reward_funcs=list(reward_funcs),
        args=args,
        train_dataset=Dataset.from_list(list(rows)),
        processing_class=tokenizer,
        tools=list(tools) if tools else None,
        callbacks=list(callbacks) or None,
    )
    trainer.train()
    release(model)
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def sft_loss_fn(tokenizer, model):
    """``loss_fn(model, batch)``: SFTTrainer's own ``compute_loss`` (fused LM head, assistant-only labels) on a
    batch from its collator. Built once; the trainer is never trained."""
    import tempfile

    _quiet()
    trainer = _sft_trainer_for_inspection(tokenizer, model, tempfile.mkdtemp(prefix="harness-sft-loss-"))

    def loss_fn(model_, batch):
        inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "labels")}
        return trainer.compute_loss(model_, inputs)

    return loss_fn


class _GenerationRecorder:
    """Records every ``model.generate`` call (unpadded input ids, generated ids up to and including the first
    end-of-sequence token) by wrapping the method on the instance for the duration of a ``with`` block."""

    def __init__(self, model, eos_token_ids) -> None:
        self.model, self.eos = model, set(int(i) for i in eos_token_ids)
        self.records: list[tuple[list[int], list[int]]] = []

    def __enter__(self):
        original = self.model.generate

        def generate(*args, **kwargs):
            output = original(*args, **kwargs)
            input_ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
            attention = kwargs.get("attention_mask")
            width = input_ids.shape[1]
            for row in range(input_ids.shape[0]):
                keep = attention[row].bool() if attention is not None else slice(None)
                new = []
                for token in output[row, width:].tolist():
                    new.append(token)
                    if token in self.eos:
                        break
                self.records.append((input_ids[row][keep].tolist(), new))
            return output

        self.model.generate = generate
        return self

    def __exit__(self, *exc) -> None:
        self.model.__dict__.pop("generate", None)


def grpo_rollout_batch(
    model,
    tokenizer,
    rows: Sequence[dict],
    reward_funcs: Sequence[Callable],
    *,
    tools: Sequence[Callable] | None = None,
    mask_mode: str = "correct",
    num_generations: int = 4,
    max_completion_length: int = 48,
    seed: int = 0,
) -> dict:
    """One real GRPO generation batch (trl's ``_generate_and_score_completions``, tool loop included), without a
    training step. Per completion (lists of lists): ``completion_ids``; ``loss_mask`` (completion_mask * tool_mask,
    after ``mask_mode``); ``tool_mask`` (trl's own, before ``mask_mode``; None without tools); ``sampled_mask``
    (1 where the model's own ``generate`` produced the token at that position, recorded independently of trl's
    bookkeeping: see ``harness.rollouts.masks``); plus ``advantages``. Checks: ``harness.rollouts.masks``."""
    import tempfile

    from datasets import Dataset

    from harness.rollouts.masks import index_generations, sampled_mask

    _quiet()
    rows = list(rows)
    args = _grpo_args(
        steps=1,
        prompts_per_step=len(rows),
        num_generations=num_generations,
        learning_rate=0.0,
        max_completion_length=max_completion_length,
        seed=seed,
        output_dir=tempfile.mkdtemp(prefix="harness-grpo-rollout-"),
    )
    # trl's own trainer builds the batch; the mask_mode rewrite is the same function the broken-mask trainer uses.
    trainer = _grpo_trainer_class("correct")(
        model=model,
        reward_funcs=list(reward_funcs),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        tools=list(tools) if tools else None,
    )
    with _GenerationRecorder(model, trainer.eos_token_ids) as recorder:
        output = dict(trainer._generate_and_score_completions([row for row in rows for _ in range(num_generations)]))
    release(model)
    trl_tool_mask = output.get("tool_mask")
    if mask_mode != "correct":
        if trl_tool_mask is None:
            raise ValueError(f"mask_mode={mask_mode!r} needs a tool-calling run (tools=...)")
        output["tool_mask"] = _break_tool_mask(trl_tool_mask, output["completion_mask"], mask_mode)
    completion_mask = output["completion_mask"]
    loss_mask = completion_mask if output.get("tool_mask") is None else completion_mask * output["tool_mask"]
    lengths = [int(n) for n in completion_mask.sum(1).tolist()]
    completions = [ids[:n].tolist() for ids, n in zip(output["completion_ids"], lengths)]
    prompts = [ids[m.bool()].tolist() for ids, m in zip(output["prompt_ids"], output["prompt_mask"])]
    generations = index_generations(recorder.records)
    return {
        "prompt_ids": prompts,
        "generations": list(recorder.records),
        "completion_ids": completions,
        "loss_mask": [m[:n].tolist() for m, n in zip(loss_mask, lengths)],
        "tool_mask": None if trl_tool_mask is None else [m[:n].tolist() for m, n in zip(trl_tool_mask, lengths)],
        "sampled_mask": [sampled_mask(p, c, generations) for p, c in zip(prompts, completions)],
        "advantages": output["advantages"].tolist(),
    }


def _scripted_generate(model, completions: Sequence[Sequence[int]], pad_id: int):
    """Replace ``model.generate`` (on the instance) by a scripted model: each input row gets the first of
    ``completions`` not already contained in it (turn k of the script once turns 0..k-1 are in its context)."""
    import torch

    def contains(row: list[int], part: list[int]) -> bool:
        n = len(part)
        return any(row[i : i + n] == part for i in range(len(row) - n + 1))

    def generate(*args, **kwargs):
        input_ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
        attention = kwargs.get("attention_mask")
        outputs = []
        for row in range(input_ids.shape[0]):
            ids = input_ids[row][attention[row].bool()].tolist() if attention is not None else input_ids[row].tolist()
            turn = next((list(c) for c in completions if not contains(ids, list(c))), list(completions[-1]))
            outputs.append(turn)
        width = max(len(o) for o in outputs)
        new = torch.full((input_ids.shape[0], width), pad_id, dtype=input_ids.dtype)
        for row, out in enumerate(outputs):
            new[row, : len(out)] = torch.tensor(out, dtype=input_ids.dtype)
        return torch.cat([input_ids, new.to(input_ids.device)], dim=1)

    model.generate = generate


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression.

    Args:
        expression: The arithmetic expression, e.g. "48 / 2".
    """
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def value(node):
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        raise ValueError(f"unsupported expression {expression!r}")

    result = value(ast.parse(expression, mode="eval").body)
    return str(int(result)) if float(result).is_integer() else str(result)


def scripted_grpo_episode(tokenizer, shape: str):
    """One GRPO rollout of ``rollout_shapes.conversation(shape)`` through trl's own generation and tool loop, the
    model scripted: its turns are the shape's assistant turns as the tokenizer's template says the model emits them
    (``rollout_shapes.scripted_completion``). trl's tool loop runs ``calculator`` itself. The rollout stops at the
    first answer (trl's loop injects no user turns). Returns a ``harness.rollouts.episodes.Episode``: turns recorded from the
    model's generate calls; one sample, prompt (untrained) + completion with GRPO's loss mask; ``incremental_ids``
    trl's concatenation, ``full_ids`` the tokenizer's rendering of the messages trl built."""
    from harness.rollouts.shapes import conversation, scripted_completion
    from harness.rollouts.episodes import Episode, SampledTurn, TrainingSample

    messages, tools = conversation(shape)
    last = next(k for k, m in enumerate(messages) if m["role"] == "assistant" and not m.get("tool_calls"))
    messages = messages[: last + 1]
    completions = [scripted_completion(tokenizer, messages, tools, k) for k, m in enumerate(messages) if m["role"] == "assistant"]
    tokenizer = copy_tokenizer(tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = tiny_causal_lm(tokenizer, hidden_size=8, heads=2)
    _scripted_generate(model, completions, tokenizer.pad_token_id)

    def no_reward(completions, **kwargs):
        return [0.0] * len(completions)

    row = {"prompt": [messages[0]]}
    batch = grpo_rollout_batch(model, tokenizer, [row], [no_reward], tools=[calculator] if tools else None,
                               num_generations=2, max_completion_length=sum(len(c) for c in completions) + 64)
    prompt, completion, mask = batch["prompt_ids"][0], batch["completion_ids"][0], batch["loss_mask"][0]
    turns = tuple(SampledTurn(tuple(i), tuple(o)) for i, o in batch["generations"] if list(i[: len(prompt)]) == list(prompt))
    turns = tuple(dict.fromkeys(turns))  # the two generations of the group are identical
    sample = TrainingSample(tuple(prompt) + tuple(completion), (False,) * len(prompt) + tuple(bool(x) for x in mask))
    from transformers.utils import get_json_schema

    full = _rendered_ids(tokenizer, messages, [get_json_schema(calculator)] if tools else None)
    return Episode("trl/GRPOTrainer", turns, (sample,), incremental_ids=sample.token_ids, full_ids=tuple(full),
                   declared_samples=1)


def copy_tokenizer(tokenizer):
    import copy

    return copy.deepcopy(tokenizer)


def _rendered_ids(tokenizer, messages, tools) -> list[int]:
    from harness.adapters.transformers import encode_with_offsets, render

    return encode_with_offsets(tokenizer, render(tokenizer, messages, tools))[0]
