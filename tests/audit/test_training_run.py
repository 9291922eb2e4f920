"""MaskAuditCallback in real trl runs on CPU (tiny models built from a config): it reports what SFTTrainer and
GRPOTrainer train, through the trainer's own logging, and with strict=True stops a broken-mask run before the
bad batch's loss is computed."""

from __future__ import annotations

import logging
import re
import tempfile

import pytest

from harness.learning.sizes import get_size
from tests.torch_threads import fixed_torch_threads  # noqa: F401  (autouse: one torch thread, as in tests/learning)

TINY = get_size("cpu").with_(hidden_size=32, layers=1, heads=4)


class _Logged:
    """A reporting callback (as wandb's or tensorboard's would be): every dict the trainer logs."""

    def __new__(cls):
        from transformers import TrainerCallback

        class Recorder(TrainerCallback):
            def __init__(self):
                self.logs = []

            def on_log(self, args, state, control, logs=None, **kwargs):
                self.logs.append(dict(logs or {}))

        return Recorder()


@pytest.fixture
def trainer_log_lines():
    """Lines written to the transformers Trainer's own logger."""
    from harness.adapters.transformers import trainer_logger

    lines = []

    class Handler(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger, handler = trainer_logger(), Handler()
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def _sft(callback, *, assistant_only_loss=True, recorder=None):
    from harness.adapters.trl import run_sft
    from harness.learning.setup import fresh_model, task_tokenizer
    from harness.learning.tasks import COPY

    tokenizer = task_tokenizer(COPY)
    model = fresh_model(tokenizer, TINY, seed=0)
    return run_sft(model, tokenizer, COPY.sft_rows(8, seed=0), steps=2, batch_size=4, learning_rate=1e-3, seed=0,
                   output_dir=tempfile.mkdtemp(prefix="harness-audit-"), assistant_only_loss=assistant_only_loss,
                   callbacks=[callback] + ([recorder] if recorder else []))


def test_sft_run_is_audited_through_the_trainers_logging(trainer_log_lines):
    from harness.audit.training_run import MaskAuditCallback

    audit, recorder = MaskAuditCallback(strict=True, batches=2), _Logged()
    history = _sft(audit, recorder=recorder)
    assert len(history) == 2  # the run finished
    assert len(audit.results) == 2
    first = audit.results[0]
    assert set(first.trained_by_role) == {"assistant"} and first.trained > 0
    assert first.tokens_by_role["user"] > 0 and first.tokens_by_role["system"] > 0  # roles found, and not trained
    assert first.loss_by_role["assistant"]["count"] == first.trained_by_role["assistant"]
    assert first.loss_by_role["user"]["count"] == 0 and first.loss_by_role["user"]["masked_mean"] > 0
    logged = [entry for entry in recorder.logs if "mask_audit/trained_tokens" in entry]
    assert [entry["mask_audit/trained_tokens"] for entry in logged] == [float(r.trained) for r in audit.results]
    assert logged[0]["mask_audit/trained/assistant"] == first.trained and "mask_audit/trained/user" not in logged[0]
    assert logged[0]["mask_audit/loss/assistant/mean"] > 0
    table = next(line for line in trainer_log_lines if line.startswith("mask audit, batch 1"))
    assert "exp got token" in table and re.search(r"assistant\s+~\s+✓\s+<\|im_end\|>", table)
    assert re.search(r"user\s+✗\s+✗\s+Copy", table)


def test_strict_audit_stops_an_sft_run_that_trains_user_and_system_tokens(trainer_log_lines):
    from harness.audit.training_run import MaskAuditCallback, MaskAuditError

    audit, recorder = MaskAuditCallback(strict=True), _Logged()
    with pytest.raises(MaskAuditError, match=r"token\(s\) of system, user turns are trained \(step 0\)") as stopped:
        _sft(audit, assistant_only_loss=False, recorder=recorder)  # the classic bug: assistant_only_loss forgotten
    assert "user        ✗   ✓  Copy   ◀" in str(stopped.value)
    assert not any("loss" in entry for entry in recorder.logs)  # stopped before the first step's loss was logged
    assert any(entry.get("mask_audit/forbidden_trained_tokens", 0) > 0 for entry in recorder.logs)
    # Not strict: the same run finishes, and the audit says what was trained.
    audit = MaskAuditCallback(strict=False, batches=1)
    assert len(_sft(audit, assistant_only_loss=False)) == 2
    assert {"system", "user", "assistant"} <= set(audit.results[0].trained_by_role)


class _ScriptedToolPolicy:
    """Replaces ``model.generate`` on the instance: the first turn calls the task's tool, the turn after the tool
    result answers. Sampling is scripted so that a tiny untrained model makes tool calls; trl's GRPOTrainer runs
    its real tool loop, masks and loss on them."""

    def __init__(self, model, tokenizer):
        encode = lambda text: tokenizer.encode(text, add_special_tokens=False)  # noqa: E731
        self.call = encode('<tool_call>\n{"name": "get", "arguments": {"key": "x"}}\n</tool_call><|im_end|>')
        self.answer = encode("<answer>3</answer><|im_end|>")
        self.tool_response = tokenizer.convert_tokens_to_ids("<tool_response>")
        self.pad = tokenizer.pad_token_id
        model.generate = self.generate

    def generate(self, input_ids=None, attention_mask=None, **kwargs):
        import torch

        rows = []
        for row in input_ids.tolist():
            rows.append(self.answer if self.tool_response in row else self.call)
        width = max(len(r) for r in rows)
        new = torch.tensor([r + [self.pad] * (width - len(r)) for r in rows], dtype=input_ids.dtype)
        return torch.cat([input_ids, new.to(input_ids.device)], dim=1)


def _grpo(callback, mask_mode):
    from harness.adapters.trl import run_grpo
    from harness.learning.rewards import AnswerReward
    from harness.learning.setup import fresh_model, task_tokenizer
    from harness.learning.tasks import TOOL

    tokenizer = task_tokenizer(TOOL)
    model = fresh_model(tokenizer, TINY, seed=0)
    _ScriptedToolPolicy(model, tokenizer)
    return run_grpo(model, tokenizer, TOOL.prompts(2, seed=0), [AnswerReward(gold_from_tool=True)], tools=TOOL.tools_for_run(0),
                    mask_mode=mask_mode, steps=1, prompts_per_step=2, num_generations=2, learning_rate=1e-3,
                    max_completion_length=24, seed=0, output_dir=tempfile.mkdtemp(prefix="harness-audit-"),
                    callbacks=[callback])


def test_grpo_tool_run_is_audited_and_a_run_training_tool_results_is_stopped():
    from harness.audit.training_run import MaskAuditCallback, MaskAuditError

    audit = MaskAuditCallback(strict=True, batches=1)
    assert len(_grpo(audit, "correct")) == 1
    result = audit.results[0]
    assert set(result.trained_by_role) == {"assistant"}
    assert result.tokens_by_role["tool"] > 0 and result.tokens_by_role["user"] > 0  # present in the batch, untrained
    assert result.loss_by_role["assistant"]["count"] == result.trained

    audit = MaskAuditCallback(strict=True, batches=1)
    with pytest.raises(MaskAuditError, match=r"token\(s\) of tool turns are trained") as stopped:
        _grpo(audit, "tool_only")  # only the tool results trained: trl's tool mask inverted
    assert "<tool_response>   ◀" in str(stopped.value)
