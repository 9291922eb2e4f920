"""Learning-signal jobs: SFT warm-up, then GRPO under several conditions and seeds; statistics and reports.

Conditions:
  ``correct``          trl's own masks and the answer reward.
  ``random_reward``    control: GRPO on seeded noise (the answer reward is still measured, with weight 0).
  ``post_tool_masked`` control (tool task): the assistant's answer after the tool result is never trained.
  ``tool_only``        control (tool task): only the tool-result tokens are trained.
"""

from __future__ import annotations

import copy
import tempfile
import time
from dataclasses import asdict, dataclass, field

from harness.adapters.trl import release
from harness.learning.precondition import check_warm_up
from harness.learning.rewards import AnswerReward, RandomReward
from harness.learning.result import LearningJobResult
from harness.learning.setup import fresh_model, get_task, task_tokenizer
from harness.learning.sizes import LearningSize, get_size
from harness.learning.statistics import paired_verdict, summarize
from harness.learning.tasks import Task
from harness.reports import cpu_environment


@dataclass
class RunResult:
    condition: str
    seed: int
    reward: list[float]
    exact: list[float]
    tool_calls: list[float]
    loss: list[float]
    seconds: float
    completion_length: list[float] = field(default_factory=list)


@dataclass
class WarmUpLog:
    """SFT loss per step of the warm-up's two phases: the task (correct answers), then the wrong-answer noise."""

    task_phase: list[float]
    noise_phase: list[float]

    @property
    def losses(self) -> list[float]:
        return self.task_phase + self.noise_phase


def load_model_and_tokenizer(task: Task, size: LearningSize, seed: int, model_path: str | None = None):
    """The tiny task model and tokenizer, or (``--harness-model``) a real model and its own tokenizer."""
    if model_path is None:
        tokenizer = task_tokenizer(task)
        return fresh_model(tokenizer, size, seed), tokenizer
    import torch

    from harness.adapters.transformers import load_causal_lm

    torch.manual_seed(seed)
    model, tokenizer = load_causal_lm(model_path, dtype="float32", train=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _dataset_batches(steps: int, phase: int, size: LearningSize) -> int:
    """Batches' worth of rows in a warm-up phase's dataset: one per step, or phase 1's cap (the trainer cycles)."""
    cap = size.sft_dataset_batches if phase == 0 else None
    return steps if cap is None else min(steps, cap)


def warm_up(task: Task, size: LearningSize, seed: int, model_path: str | None = None):
    """(model, tokenizer, ``WarmUpLog``) after the two-phase SFT warm-up with assistant-only loss.

    Phase 1 trains on correct answers until the model copies; phase 2 is a short, low-rate SFT on wrong (random)
    answers that lowers the accuracy GRPO starts from without breaking the format."""
    from harness.adapters.trl import run_sft

    model, tokenizer = load_model_and_tokenizer(task, size, seed, model_path)
    phases = [
        (size.sft_steps, size.sft_learning_rate, 0.0, seed, size.sft_stop_below_loss),
        (size.noise_steps, size.noise_learning_rate, size.noise_wrong_fraction, seed + 100_000, None),
    ]
    losses: list[list[float]] = [[], []]
    for phase, (steps, learning_rate, wrong_fraction, data_seed, stop_below_loss) in enumerate(phases):
        if steps <= 0:
            continue
        log = run_sft(
            model,
            tokenizer,
            task.sft_rows(_dataset_batches(steps, phase, size) * size.sft_batch_size, data_seed,
                          wrong_fraction=wrong_fraction),
            steps=steps,
            batch_size=size.sft_batch_size,
            learning_rate=learning_rate,
            seed=seed,
            output_dir=tempfile.mkdtemp(prefix="harness-sft-"),
            stop_below_loss=stop_below_loss,
        )
        losses[phase] = [entry["loss"] for entry in log]
    return model, tokenizer, WarmUpLog(task_phase=losses[0], noise_phase=losses[1])


def grpo_condition(task: Task, condition: str, seed: int, size: LearningSize, model, tokenizer) -> RunResult:
    """Train ``model`` (in place) with GRPO under ``condition``; the per-step curves of the answer reward."""
    from harness.adapters.trl import run_grpo

    measure = AnswerReward(gold_from_tool=task.answer_from_tool)
    if condition == "random_reward":
        reward_funcs, weights = [RandomReward(seed), measure], [1.0, 0.0]
    else:
        reward_funcs, weights = [measure], None
    mask_mode = condition if condition in ("post_tool_masked", "tool_only") else "correct"
    start = time.perf_counter()
    log = run_grpo(
        model,
        tokenizer,
        task.prompts(size.grpo_steps * size.prompts_per_step * 2, seed),
        reward_funcs,
        reward_weights=weights,
        tools=task.tools_for_run(seed) or None,
        mask_mode=mask_mode,
        steps=size.grpo_steps,
        prompts_per_step=size.prompts_per_step,
        num_generations=size.num_generations,
        learning_rate=size.grpo_learning_rate,
        max_completion_length=task.max_completion_length,
        seed=seed,
        output_dir=tempfile.mkdtemp(prefix="harness-grpo-"),
    )
    return RunResult(
        condition=condition,
        seed=seed,
        reward=[h["reward"] for h in measure.history],
        exact=[h["exact"] for h in measure.history],
        tool_calls=[h["tool_calls"] for h in measure.history],
        loss=[float(entry["loss"]) for entry in log],
        completion_length=[float(entry.get("completions/mean_length", 0.0)) for entry in log],
        seconds=time.perf_counter() - start,
    )


def loss_report(task: Task, model, tokenizer, n: int = 8) -> dict:
    """Loss distribution by role on a batch from SFTTrainer's real collator."""
    from harness.adapters.trl import sft_collated_batch
    from harness.learning.loss_stats import loss_distribution

    batch = sft_collated_batch(tokenizer, task.sft_rows(n, seed=4242, wrong_fraction=0.0), model)
    return loss_distribution(model, tokenizer, batch)


def run_learning_job(
    task: str | Task,
    conditions: tuple[str, ...],
    size: str | LearningSize = "cpu",
    *,
    report_dir=None,
    model_path: str | None = None,
    name: str | None = None,
) -> LearningJobResult:
    """Warm up once per seed; check the warm-up's precondition (``harness.learning.precondition``); on the seeds that
    pass, run GRPO for each condition from a copy of the warmed-up model; the paired verdict (``correct`` against
    each control, per seed; ``harness.learning.statistics.paired_verdict``); write ``<name>.json`` / ``<name>.png``
    to ``report_dir``. A seed whose warm-up failed runs no GRPO: it is excluded and named in the report."""
    task = get_task(task)
    size = get_size(size, task.name)
    name = name or f"learning_{task.name}_{size.name}"
    runs: list[RunResult] = []
    warmups, checks = {}, []
    for seed in size.seeds:
        if size.enough_seeds is not None and sum(c.passed for c in checks) >= size.enough_seeds:
            break  # the seeds not warmed up are listed in the verdict's precondition ("seeds" holds those tried)
        start = time.perf_counter()
        model, tokenizer, log = warm_up(task, size, seed, model_path)
        check = check_warm_up(seed, task.name, log.task_phase or log.losses, size.sft_stop_below_loss or float("inf"))
        checks.append(check)
        warmups[seed] = {"sft_loss": log.losses, "task_phase_steps": len(log.task_phase),
                         "precondition": check.summary(), "seconds": time.perf_counter() - start}
        if not check.passed:
            continue
        warmups[seed]["loss_distribution"] = loss_report(task, model, tokenizer)
        for condition in conditions:
            release(model)  # a model still wrapped by a finished trainer cannot be deep-copied (see release)
            runs.append(grpo_condition(task, condition, seed, size, copy.deepcopy(model), tokenizer))
    summaries = {
        c: summarize(c, [r.reward for r in runs if r.condition == c], size.window) for c in conditions if runs
    }
    verdict = None
    if "correct" in conditions:
        curves = {c: {r.seed: r.reward for r in runs if r.condition == c} for c in conditions}
        verdict = paired_verdict("correct", curves, checks, window=size.window, margin=size.margin,
                                 min_seeds=size.min_seeds)
    summary = {
        "job": name,
        "task": task.name,
        "size": asdict(size),
        "model": model_path or "tiny (random init from config)",
        "environment": cpu_environment(),
        "warmups": {str(k): v for k, v in warmups.items()},
        "runs": [asdict(r) for r in runs],
        "signal": {c: s.summary() for c, s in summaries.items()},
        "verdict": verdict,
    }
    if report_dir is not None:
        from harness.reports import plot_curves, write_json

        summary["report_json"] = str(write_json(report_dir, name, summary))
        summary["report_png"] = str(plot_curves(report_dir, name, [asdict(r) for r in runs]))
    return LearningJobResult(summary)


def train_single_step_model(seed: int = 0, size: str | LearningSize = "cpu", model_path: str | None = None):
    """A model trained on the single-step ``copy`` task (SFT warm-up then GRPO): ``(model, tokenizer, task)``.

    ``task.prompts(n, seed)`` gives prompts with their ``answer``; the reward is ``harness.learning.rewards``'s
    ``digit_credit(extract_answer(text), answer)``.
    """
    task = get_task("copy")
    size = get_size(size, task.name)
    model, tokenizer, _ = warm_up(task, size, seed, model_path)
    grpo_condition(task, "correct", seed, size, model, tokenizer)
    return model, tokenizer, task
