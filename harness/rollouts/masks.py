"""The GRPO loss-mask contract for tool-calling rollouts: exactly the tokens the model sampled are trained.

A rollout's completion is what the trainer built: sampled turns with injected tool results (and chat-template
glue) between them. The ground truth is recorded independently of the trainer's own bookkeeping: every call of the
model's ``generate`` (its unpadded input and the tokens it produced). A completion position is *sampled* when a
recorded generation, whose input is exactly the prompt plus the completion up to that position, produced that
token there. Everything else was injected. The check compares the trainer's loss mask with that:

* ``injected_token_trained``: a tool result (or a token the model never sampled, e.g. a re-tokenized or
  rewritten turn) carries loss;
* ``sampled_token_not_trained``: a token the model sampled, such as the final answer after a tool result or the
  end-of-turn token, carries none.

Trainer-specific recording lives in the adapters (``harness.adapters.trl.grpo_rollout_batch``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.masking.table import NOT_TRAINED, TRAINED, TokenRow, format_table, window

Generations = Mapping[tuple[int, ...], Sequence[tuple[int, ...]]]


def index_generations(records: Iterable[tuple[Sequence[int], Sequence[int]]]) -> dict:
    """``{input_ids: [new_ids, ...]}`` from ``(unpadded input_ids, generated ids)`` records (several samples of
    one input keep their own entries)."""
    index: dict[tuple[int, ...], list[tuple[int, ...]]] = defaultdict(list)
    for input_ids, new_ids in records:
        index[tuple(input_ids)].append(tuple(new_ids))
    return dict(index)


def sampled_mask(prompt_ids: Sequence[int], completion_ids: Sequence[int], generations: Generations) -> list[int]:
    """1 where the completion token was produced by a recorded generation at that very position, else 0.

    A generation counts when its input is ``prompt_ids + completion_ids[:start]`` and its output, or the part of it
    that fits before the completion ends (trainers truncate to the completion budget), is
    ``completion_ids[start:...]``. Of several samples from the same input the longest that matches counts."""
    prompt, completion = list(prompt_ids), list(completion_ids)
    mask = [0] * len(completion)
    for start in range(len(completion) + 1):
        candidates = generations.get(tuple(prompt + completion[:start]), ())
        best = 0
        for new_ids in candidates:
            fits = list(new_ids[: len(completion) - start])
            if fits and completion[start : start + len(fits)] == fits:
                best = max(best, len(fits))
        for position in range(start, start + best):
            mask[position] = 1
    return mask


@dataclass(frozen=True)
class RolloutMaskProblem:
    """One rollout whose loss mask differs from the sampled tokens."""

    rollout: int
    name: str  # injected_token_trained | sampled_token_not_trained
    positions: tuple[int, ...]
    table: str

    def __str__(self) -> str:
        return f"rollout {self.rollout}: {self.name} at completion positions {list(self.positions)}\n{self.table}"


def _table(tokenizer, completion_ids, sampled, trained, flagged) -> str:
    rows = [
        TokenRow(
            index=i,
            token_id=int(completion_ids[i]),
            text=tokenizer.decode([int(completion_ids[i])]) if tokenizer is not None else "",
            role="sampled" if sampled[i] else "injected",
            expected=TRAINED if sampled[i] else NOT_TRAINED,
            got=TRAINED if trained[i] else NOT_TRAINED,
            flagged=i in flagged,
        )
        for i in window(sorted(flagged), len(completion_ids), context=3)
    ]
    return format_table(rows)


def rollout_mask_problems(rollouts: Sequence[Mapping], tokenizer=None) -> list[RolloutMaskProblem]:
    """Problems of ``rollouts`` (dicts with ``completion_ids``, ``loss_mask`` and ``sampled_mask``, one entry per
    completion token), each with a token table (role sampled/injected, expected ✓/✗, got ✓/✗). Empty when every
    sampled token and nothing else carries loss."""
    problems = []
    for number, rollout in enumerate(rollouts):
        ids, trained, sampled = rollout["completion_ids"], rollout["loss_mask"], rollout["sampled_mask"]
        if not len(ids) == len(trained) == len(sampled):
            raise ValueError(
                f"rollout {number}: completion_ids ({len(ids)}), loss_mask ({len(trained)}) and sampled_mask "
                f"({len(sampled)}) must have one entry per completion token"
            )
        for name, wrong in (
            ("injected_token_trained", [i for i in range(len(ids)) if trained[i] and not sampled[i]]),
            ("sampled_token_not_trained", [i for i in range(len(ids)) if sampled[i] and not trained[i]]),
        ):
            if wrong:
                table = _table(tokenizer, ids, sampled, trained, set(wrong))
                problems.append(RolloutMaskProblem(number, name, tuple(wrong), table))
    return problems


def assert_rollout_masks(rollouts: Sequence[Mapping], tokenizer=None, *, show: int = 3) -> None:
    """Raise ``AssertionError`` listing the first ``show`` problems of ``rollout_mask_problems``."""
    problems = rollout_mask_problems(rollouts, tokenizer)
    if problems:
        names = sorted({p.name for p in problems})
        shown = "\n\n".join(str(p) for p in problems[:show])
        raise AssertionError(f"{len(problems)} rollout loss-mask problem(s) ({', '.join(names)}):\n\n{shown}")
