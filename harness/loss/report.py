"""What ``check_training_step`` reports: ``StepFailure`` and ``StepReport``, and the weight table (per token: the
oracle's ✓/✗, whether the step trained it, and the weight its prediction got relative to the documented one)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from harness.loss.judging import Finding, StepView
from harness.masking.oracle import Expect, Policy
from harness.masking.report import _default_replay_dir, conversation_text
from harness.masking.replay import replay_command, write_replay
from harness.masking.table import EITHER, NOT_TRAINED, TRAINED, window

_MARKS = {Expect.TRAIN: TRAINED, Expect.SKIP: NOT_TRAINED, Expect.EITHER: EITHER}


def weight_table(view: StepView, conversation: int, flagged=(), *, limit: int = 40) -> str:
    """One row per token of the conversation's rendering: ``exp`` the oracle, ``got`` whether the prediction of
    that token got gradient, ``weight`` that gradient's weight divided by the documented one (1.000 = exactly the
    documented weight; ``→?`` = the gradient points at another token), ◀ = flagged."""
    oracle = view.oracles[conversation]
    preds = view.of(conversation)
    indices = window(list(flagged), len(oracle.input_ids), limit=limit) if flagged else \
        range(min(len(oracle.input_ids), limit))
    flagged_set = set(flagged)
    roles = oracle.token_roles
    lines = [f"{'idx':>5}  {'id':>7}  {'role':<10} exp got {'weight':>8}  token"]
    previous = None
    for j in indices:
        if previous is not None and j != previous + 1:
            lines.append("  ...")
        previous = j
        q = preds.get(j)
        got = TRAINED if q is not None and q.has_gradient else NOT_TRAINED
        if q is None or not q.has_gradient:
            weight = "·"
        elif q.relative is not None:
            weight = f"{q.relative:.3f}" + ("" if abs(q.cosine) >= 0.999 else "→?")
        else:
            weight = "untr." + ("" if abs(q.cosine) >= 0.999 else "→?")
        a, b = oracle.offsets[j]
        text = repr(oracle.text[a:b])[1:-1] or "''"
        line = f"{j:>5}  {oracle.input_ids[j]:>7}  {roles[j]:<10} {_MARKS[oracle.expected[j]]:^3} {got:^3} " \
               f"{weight:>8}  {text}"
        lines.append(line + ("   ◀" if j in flagged_set else ""))
    if not flagged and len(oracle.input_ids) > limit:
        lines.append(f"  ... ({len(oracle.input_ids) - limit} more tokens)")
    return "\n".join(lines)


@dataclass(frozen=True)
class StepFailure:
    """One failure class on its own (shrunk) optimizer step."""

    property: str
    kind: str
    conversations: list[dict]  # the step's conversations ({"messages", "tools"})
    explanation: str
    replay: str | None = None  # the command showing the conversation of the table, token by token
    shown: int | None = None  # index of the conversation the table shows

    @property
    def key(self) -> str:
        return f"{self.property}[{self.kind}]" if self.kind else self.property

    def __str__(self) -> str:
        return f"[{self.key}] {self.explanation}" + (f"\nreplay: {self.replay}" if self.replay else "")


def failure_of(finding: Finding, view: StepView, conversations: list[dict]) -> StepFailure:
    forwards = ", ".join(f"{tuple(f.input_ids.shape)}" for f in view.forwards)
    lines = [finding.summary,
             f"step: {len(conversations)} conversation(s), {len(view.forwards)} forward pass(es) (rows × positions: "
             f"{forwards}), {view.step_tokens} trained token(s), documented normalisation: {view.normalization}"]
    for k, c in enumerate(conversations):
        place = view.places[k]
        at = f"micro-batch {place.call}, row {place.row}, from position {place.start}" if place else "not found"
        lines.append(f"conversation {k} ({at}):\n{conversation_text(c['messages'], c['tools'])}")
    if finding.property == "token_weight":
        lines.append("weights / the documented weight, per conversation (min–max over its trained tokens): " + "; ".join(
            f"{k}: {_span([q.relative for q in view.of(k).values() if q.relative is not None])}"
            for k in range(len(conversations))))
    if finding.conversation is not None and view.places[finding.conversation] is not None:
        lines.append(f"tokens of conversation {finding.conversation} (exp = oracle, got = gradient reached the "
                     f"prediction of the token, weight = its weight / the documented weight; ◀ = offending):\n"
                     + weight_table(view, finding.conversation, finding.tokens))
    for q in finding.outside[:6]:
        if q.target >= 0 and q.has_gradient:
            lines.append(f"  outside: micro-batch {q.call}, row {q.row}, position {q.position} predicts id "
                         f"{q.target} with weight {q.weight * max(view.step_tokens, 1):.3f} × 1/N")
    return StepFailure(finding.property, finding.kind, conversations, "\n".join(lines), shown=finding.conversation)


def _span(values: list[float]) -> str:
    if not values:
        return "none trained"
    low, high = min(values), max(values)
    return f"{low:.3f}" if abs(high - low) < 5e-4 else f"{low:.3f}–{high:.3f}"


@dataclass
class StepReport:
    """What ``check_training_step`` found. ``str(report)`` is the readable verdict."""

    tokenizer: str
    policy: Policy
    normalization: str
    steps: int = 0  # optimizer steps judged
    conversations: int = 0
    trained_tokens: int = 0  # trained tokens whose weight was judged, over all steps
    packed_steps: int = 0  # judged steps in which conversations shared a forward row (packing judged)
    isolated_steps: int = 0  # judged steps in which a conversation had something before it in its row (isolation)
    micro_batched_steps: int = 0  # judged steps the step split into several forward passes (micro-batches)
    failures: list[StepFailure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.failures]

    def __str__(self) -> str:
        head = (f"check_training_step on {self.tokenizer}: {'PASSED' if self.passed else 'FAILED'} ({self.steps} "
                f"optimizer steps, {self.conversations} conversations, {self.trained_tokens} trained tokens judged, "
                f"{self.packed_steps} step(s) packed, {self.isolated_steps} with a conversation not first in its row, "
                f"{self.micro_batched_steps} in several micro-batches; "
                f"normalisation {self.normalization}, policy {self.policy})")
        if self.failures:
            head += f"\n{len(self.failures)} distinct failure(s): " + ", ".join(self.keys)
        return "\n\n".join([head, *map(str, self.failures)])


def with_replays(failures: list[StepFailure], report: StepReport, replay_dir) -> list[StepFailure]:
    """Each failure with the command replaying the conversation its table shows (written under ``replay_dir``,
    default ``$HARNESS_REPORT_DIR/replays``, else the temp folder)."""
    folder = Path(replay_dir) if replay_dir is not None else _default_replay_dir()
    out = []
    for failure in failures:
        k = failure.shown if failure.shown is not None else 0
        conversation = failure.conversations[k]
        try:
            path = write_replay(folder, tokenizer=report.tokenizer, messages=conversation["messages"],
                                tools=conversation["tools"], label="step-" + failure.key,
                                policy=dataclasses.asdict(report.policy))
        except OSError:
            out.append(failure)
            continue
        out.append(dataclasses.replace(failure, replay=replay_command(path, report.tokenizer,
                                                                      turns=report.policy.turns)))
    return out
