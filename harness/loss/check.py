"""``check_training_step`` / ``assert_training_step``: the contract at the loss.

Hypothesis draws optimizer steps (lists of conversations the tokenizer's template accepts, from
``harness.strategies``); the training step runs on a tiny causal LM built from a config on CPU; the gradient that
reaches each position's final hidden state is judged against the oracle (``judging``). The first failing step is
shrunk and reported with a weight table (``report``); further rounds find the classes it hid, as ``check_masker``
does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.loss.attribution import only_final_norm_trainable
from harness.loss.judging import StepTooLong, findings, run_step
from harness.loss.packing import packed_conversations, packing_findings
from harness.loss.report import StepFailure, StepReport, failure_of, with_replays
from harness.loss.step import Normalization, TrainingStep, validate_normalization
from harness.masking.oracle import OracleError, Policy

__all__ = ["StepFailure", "StepReport", "assert_training_step", "check_training_step"]


class _StepFailed(Exception):
    failures: list[StepFailure]

    def __init__(self, failures: list[StepFailure]):
        super().__init__(failures[0].key)
        self.failures = failures


_CLASSES: dict[str, type[_StepFailed]] = {}


def _failure_class(key: str) -> type[_StepFailed]:
    if key not in _CLASSES:
        name = "StepFailed_" + "".join(ch if ch.isalnum() else "_" for ch in key)
        _CLASSES[key] = type(name, (_StepFailed,), {"__module__": __name__})
    return _CLASSES[key]


def _collect(error: BaseException) -> list[_StepFailed]:
    if isinstance(error, _StepFailed):
        return [error]
    return [found for inner in getattr(error, "exceptions", ()) or () for found in _collect(inner)]


# Which class a step with several raises (so that shrinking keeps one class): the most basic first.
_RANK = ["rows_match_rendering", "position_ids", "cross_row_attention", "padding_attended", "mask_ignored", "padding_trained", "trained_across_rows", "mask_shifted",
         "gradient_on_untrained", "no_gradient_on_trained", "target_shifted", "target_wrong", "token_weight"]


def check_training_step(
    step: TrainingStep,
    tokenizer,
    *,
    max_examples: int | None = None,
    seed: int = 0,
    policy: Policy | None = None,
    normalization: Normalization | None = None,
    normalization_length: int | None = None,
    conversations_per_step: tuple[int, int] = (3, 4),
    max_turns: int = 2,
    tools: bool = True,
    hard_text: bool = False,
    template_kwargs: Mapping[str, Any] | None = None,
    model=None,
    hidden_size: int = 32,
    layers: int = 1,
    conversations=None,
    replay_dir: str | Path | None = None,
    max_rounds: int = 6,
    max_step_tokens: int = 2048,
    ignore: Iterable[str] = (),
    shrink: bool = True,
) -> StepReport:
    """Check the training step ``step(model, conversations) -> loss`` (``harness.loss.step`` documents it exactly)
    on optimizer steps of ``conversations_per_step`` conversations drawn for ``tokenizer``'s chat template.

    Judged per step, against the oracle (``build_oracle`` under ``policy``, default the step's ``policy`` attribute,
    else ``Policy()``): the predictions with gradient are exactly those of the tokens the model generated, per row;
    each points at the token it predicts; each trained token's weight is the documented ``normalization``'s
    (``harness.loss.step``: ``"token"``, 1/N over the optimizer step, is the default unless the step has a
    ``normalization`` attribute; ``"fixed_length"`` takes ``normalization_length``, default the step's attribute),
    times the conversation's scale when the step returns ``StepResult(loss, scales=...)``, within a relative 2e-3
    (float32). Padding and tokens outside every conversation get
    no gradient. A conversation packed into a row with others (padding-free) must have position ids from 0, and any
    conversation with something before it in its row (packed neighbours, left padding) the same final hidden states as
    alone (``harness.loss.packing``). Each failure class (``harness.loss.judging``) is reported with its shrunk step and a weight table.

    ``model`` defaults to ``tiny_causal_lm(tokenizer, hidden_size=hidden_size, layers=layers, seed=seed)`` (a Qwen2
    on CPU) with only its final norm's weight requiring grad: the gradient still reaches every hidden state, without
    the cost of the LM head's and the embedding's (150k rows) weight gradients. ``max_examples`` defaults to the active Hypothesis profile's. ``conversations`` overrides the strategy
    of one conversation (default the step's ``conversations`` attribute, else ``conversations_for(tokenizer,
    max_turns=, tools=, hard_text=)``: the text
    strategies' hard cases are the masking contract's business, and long renderings cost memory here). ``ignore``: failure keys set aside from the start. ``shrink=False`` reports each class on the step that first
    showed it (faster, for tables of verdicts; the weight table is then less readable). ``max_step_tokens``: steps whose
    renderings hold more tokens are drawn again (memory: the logits of a 150k vocabulary per position).
    """
    from hypothesis import settings

    if not callable(step):
        raise TypeError(f"step must be callable(model, conversations) -> loss, got {type(step).__name__}")
    if max_examples is None:
        max_examples = settings.default.max_examples
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"max_examples must be a positive int, got {max_examples!r}")
    if policy is None:
        policy = getattr(step, "policy", None) or Policy()
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a harness.Policy, got {type(policy).__name__}")
    if normalization is None:
        normalization = getattr(step, "normalization", None) or "token"
    if normalization_length is None:
        normalization_length = getattr(step, "normalization_length", None)
    validate_normalization(normalization, normalization_length)
    low, high = conversations_per_step
    if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
        raise ValueError(f"conversations_per_step must be (min, max) with 1 <= min <= max, got {conversations_per_step!r}")
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError("the tokenizer has no chat_template: set the template the step renders with")
    if isinstance(ignore, str):
        raise TypeError(f"ignore must be an iterable of failure keys, got the string {ignore!r}")
    if model is None:
        from harness.adapters.transformers import tiny_causal_lm

        model = tiny_causal_lm(tokenizer, hidden_size=hidden_size, layers=layers, heads=4, seed=seed)
        only_final_norm_trainable(model)
    if conversations is None:
        conversations = getattr(step, "conversations", None)  # a step that accepts only some (trl's tool loop)
    if conversations is None:
        from harness.strategies import conversations_for

        conversations = conversations_for(tokenizer, max_turns=max_turns, tools=tools, hard_text=hard_text,
                                          template_kwargs=template_kwargs)
    from hypothesis import strategies as st

    steps = st.lists(conversations, min_size=low, max_size=high)
    report = StepReport(tokenizer=str(getattr(tokenizer, "name_or_path", type(tokenizer).__name__)), policy=policy,
                        normalization=normalization)
    found: dict[str, StepFailure] = {}
    seen: set[str] = set()
    for _ in range(max_rounds):
        new = _round(step, model, tokenizer, steps, policy, normalization, template_kwargs, max_examples, seed,
                     report, seen, ignored=set(found) | set(ignore), max_tokens=max_step_tokens,
                     length=normalization_length, shrink=shrink)
        if not new:
            break
        for failure in new:
            found.setdefault(failure.key, failure)
    rank = {name: k for k, name in enumerate(_RANK)}
    report.failures = with_replays(sorted(found.values(), key=lambda f: (rank.get(f.property, len(rank)), f.kind)),
                                   report, replay_dir)
    return report


def _round(step, model, tokenizer, steps, policy, normalization, template_kwargs, max_examples, seed,
           report: StepReport, seen: set[str], *, ignored: set[str], max_tokens: int,
           length: int | None, shrink: bool = True) -> list[StepFailure]:
    from hypothesis import HealthCheck, Phase, given, reject, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable

    rank = {name: k for k, name in enumerate(_RANK)}

    @settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
              report_multiple_bugs=False, print_blob=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink) if shrink else (Phase.explicit, Phase.generate),
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(steps)
    def run(batch):
        try:
            view = run_step(step, model, tokenizer, batch, policy=policy, normalization=normalization,
                            template_kwargs=template_kwargs, max_tokens=max_tokens, length=length)
        except StepTooLong:
            reject()
        except OracleError as error:
            report.skipped.append(str(error))
            reject()
        fingerprint = repr(batch)
        if fingerprint not in seen:
            seen.add(fingerprint)
            report.steps += 1
            report.conversations += len(batch)
            report.trained_tokens += sum(1 for q in view.predictions if q.relative is not None)
            report.packed_steps += bool(packed_conversations(view))
            report.isolated_steps += any(place is not None and place.start > 0 for place in view.places)
            report.micro_batched_steps += len(view.forwards) > 1
        convs = [{"messages": [dict(m) for m in c["messages"]], "tools": c.get("tools")} for c in batch]
        found = findings(view, tokenizer)
        if not any(f.property == "rows_match_rendering" for f in found):
            found += packing_findings(step, model, view, convs)
        failures = [failure_of(f, view, convs) for f in found if f.key not in ignored]
        if failures:
            chosen = min(failures, key=lambda f: (rank.get(f.property, len(rank)), f.kind))
            raise _failure_class(chosen.key)(failures)

    try:
        run()
    except Unsatisfiable:
        reasons = "; ".join(sorted(set(report.skipped))[:3])
        raise OracleError(f"check_training_step could not judge any step for {report.tokenizer}: {reasons}") from None
    except Exception as error:
        caught = _collect(error)
        if not caught:
            raise
        return [failure for e in caught for failure in e.failures]
    return []


def assert_training_step(step: TrainingStep, tokenizer, **options: Any) -> StepReport:
    """``check_training_step``, raising AssertionError(str(report)) when a property fails."""
    report = check_training_step(step, tokenizer, **options)
    if not report.passed:
        raise AssertionError(str(report))
    return report
