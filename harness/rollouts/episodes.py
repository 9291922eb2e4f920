"""Token-in/token-out properties: what an RL pipeline trains against what the model was given and sampled.

An ``Episode`` is one rollout as a pipeline handled it, recorded at the model boundary and independently of the
pipeline's own bookkeeping:

* ``turns``: every model call, ``(prompt_ids, completion_ids)``: the exact ids the model was given and the ids it
  sampled (recorded by the adapter's scripted model / server, never read back from the pipeline);
* ``samples``: what the pipeline trains: one ``TrainingSample`` (token ids + per-token trained flag) per training
  sequence it emits (one for a linear rollout; a verifiers trace emits one per branch);
* ``incremental_ids``: the sequence the pipeline built turn by turn (bridge / commit) for the final turn, i.e. its
  last prompt followed by the last completion; ``full_ids``: the full re-rendering of the final conversation.

The named properties (each problem carries a token table):

* **sampled is trained** (``sampled_token_missing``, ``sampled_token_not_trained``): every sampled completion
  appears unchanged, in order, in a training sample, at trained positions;
* **nothing injected is trained** (``injected_token_trained``): every trained position lies inside a sampled
  completion: tool results, user turns, the headers and glue the pipeline writes between turns carry no loss;
* **incremental equals full** (``incremental_differs_from_full``): the first difference between the turn-by-turn
  sequence and the full re-rendering, explained token by token. It is a *failure* only where the pipeline trains
  the re-rendered sequence (``trains_rerendered_history``) or silently splits the rollout into more samples than
  the pipeline declares (``silent_new_branch``); otherwise it is a reported hazard;
* **prefix stability** (``prefix_stable``): whether a rendering stays a prefix of the rendering with one more
  message; the table (template x transition) is built by ``harness.adapters.renderers.prefix_stability_table``.

The trl GRPO rollout check (``harness.rollouts.masks``) is the same contract on trl's completion-only view; its
``sampled_mask`` is reused here to locate sampled tokens by exact context.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.rollouts.masks import index_generations, sampled_mask
from harness.masking.table import NOT_TRAINED, TRAINED, TokenRow, format_table, window

PROPERTIES = ("sampled_is_trained", "nothing_injected_trained", "incremental_equals_full")


@dataclass(frozen=True)
class SampledTurn:
    prompt_ids: tuple[int, ...]
    completion_ids: tuple[int, ...]


@dataclass(frozen=True)
class TrainingSample:
    token_ids: tuple[int, ...]
    trained: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.token_ids) != len(self.trained):
            raise ValueError(f"token_ids ({len(self.token_ids)}) and trained ({len(self.trained)}) differ in length")


@dataclass(frozen=True)
class Episode:
    pipeline: str
    turns: tuple[SampledTurn, ...]
    samples: tuple[TrainingSample, ...]
    incremental_ids: tuple[int, ...] | None = None
    full_ids: tuple[int, ...] | None = None
    declared_samples: int = 1  # how many training sequences the pipeline says this rollout is


@dataclass(frozen=True)
class TokenIOProblem:
    property: str  # one of PROPERTIES
    name: str  # the specific failure
    sample: int | None
    positions: tuple[int, ...]
    table: str
    hazard: bool = False  # reported, not a failure

    def __str__(self) -> str:
        kind = "hazard" if self.hazard else "FAIL"
        where = f"sample {self.sample}: " if self.sample is not None else ""
        return f"[{kind} {self.property}/{self.name}] {where}positions {list(self.positions)[:20]}\n{self.table}"


def _decode(tokenizer, token_id: int) -> str:
    return tokenizer.decode([int(token_id)]) if tokenizer is not None else ""


def _sample_table(tokenizer, sample: TrainingSample, sampled: Sequence[bool], flagged: Sequence[int]) -> str:
    rows = [
        TokenRow(
            index=i,
            token_id=int(sample.token_ids[i]),
            text=_decode(tokenizer, sample.token_ids[i]),
            role="sampled" if sampled[i] else "injected",
            expected=TRAINED if sampled[i] else NOT_TRAINED,
            got=TRAINED if sample.trained[i] else NOT_TRAINED,
            flagged=i in set(flagged),
        )
        for i in window(sorted(flagged), len(sample.token_ids), context=3)
    ]
    return format_table(rows)


def _find(haystack: Sequence[int], needle: Sequence[int], start: int) -> int:
    n = len(needle)
    for at in range(max(0, start), len(haystack) - n + 1):
        if list(haystack[at : at + n]) == list(needle):
            return at
    return -1


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def locate_sampled(episode: Episode, sample: TrainingSample) -> tuple[list[bool], list[int | None]]:
    """Which positions of ``sample`` hold a sampled completion, and where each turn's completion starts (None:
    not found unchanged in this sample).

    Exact context first (``rollout_masks.sampled_mask``: the sample's prefix equals the turn's prompt); a turn whose
    history the pipeline re-rendered is then searched as an unchanged contiguous run, in turn order, after the part
    of the sample it shares with the turn's prompt."""
    generations = index_generations((t.prompt_ids, t.completion_ids) for t in episode.turns)
    exact = sampled_mask([], sample.token_ids, generations)
    mask = [bool(x) for x in exact]
    starts: list[int | None] = []
    cursor = 0
    for turn in episode.turns:
        if not turn.completion_ids:
            starts.append(None)
            continue
        at = len(turn.prompt_ids)
        if not (
            list(sample.token_ids[:at]) == list(turn.prompt_ids)
            and list(sample.token_ids[at : at + len(turn.completion_ids)]) == list(turn.completion_ids)
        ):
            at = _find(sample.token_ids, turn.completion_ids, max(cursor, _common_prefix(turn.prompt_ids, sample.token_ids)))
        if at < 0:
            starts.append(None)
            continue
        for position in range(at, at + len(turn.completion_ids)):
            mask[position] = True
        starts.append(at)
        cursor = at + len(turn.completion_ids)
    return mask, starts


def sampled_is_trained(episode: Episode, tokenizer=None) -> list[TokenIOProblem]:
    """Every turn's sampled ids appear unchanged in some training sample, at trained positions, in order."""
    problems = []
    located = [locate_sampled(episode, s) for s in episode.samples]
    for number, turn in enumerate(episode.turns):
        found = [(k, starts[number]) for k, (_, starts) in enumerate(located) if starts[number] is not None]
        if not found:
            rows = [
                TokenRow(i, int(t), _decode(tokenizer, t), f"turn {number}", TRAINED, None, True)
                for i, t in enumerate(turn.completion_ids[:40])
            ]
            best = max(range(len(episode.samples)), key=lambda k: _common_prefix(turn.prompt_ids, episode.samples[k].token_ids), default=None)
            detail = ""
            if best is not None:
                sample = episode.samples[best]
                shared = _common_prefix(turn.prompt_ids, sample.token_ids)
                detail = (f"\nsample {best} shares {shared} of the turn's {len(turn.prompt_ids)} prompt ids; from there the "
                          f"sample holds:\n" + _sample_table(tokenizer, sample, located[best][0],
                                                             list(range(shared, min(shared + 6, len(sample.token_ids))))))
            problems.append(TokenIOProblem(
                "sampled_is_trained", "sampled_token_missing", None, (),
                f"turn {number}: its sampled completion is in no training sample unchanged:\n{format_table(rows)}{detail}"))
            continue
        if not any(all(episode.samples[k].trained[at : at + len(turn.completion_ids)]) for k, at in found):
            k, at = found[0]
            sample = episode.samples[k]
            wrong = tuple(p for p in range(at, at + len(turn.completion_ids)) if not sample.trained[p])
            problems.append(TokenIOProblem("sampled_is_trained", "sampled_token_not_trained", k, wrong,
                                           f"turn {number}:\n" + _sample_table(tokenizer, sample, located[k][0], wrong)))
    return problems


def nothing_injected_trained(episode: Episode, tokenizer=None) -> list[TokenIOProblem]:
    """No trained position outside the sampled completions (tool results, user turns, headers, glue)."""
    problems = []
    for k, sample in enumerate(episode.samples):
        sampled, _ = locate_sampled(episode, sample)
        wrong = tuple(i for i, trained in enumerate(sample.trained) if trained and not sampled[i])
        if wrong:
            problems.append(TokenIOProblem("nothing_injected_trained", "injected_token_trained", k, wrong,
                                           _sample_table(tokenizer, sample, sampled, wrong)))
    return problems


def explain_difference(a: Sequence[int], b: Sequence[int], tokenizer=None, *, labels=("incremental", "full"),
                       context: int = 3, rows: int = 12) -> str:
    """The first difference of two id sequences, token by token, side by side."""
    d = _common_prefix(a, b)
    lines = [f"first difference at position {d} ({labels[0]} {len(a)} ids, {labels[1]} {len(b)} ids)",
             f"{'idx':>5}  {labels[0]:<28} {labels[1]:<28}"]
    for i in range(max(0, d - context), min(max(len(a), len(b)), d + rows)):
        cells = []
        for seq in (a, b):
            cells.append(f"{seq[i]:>7} {_decode(tokenizer, seq[i])!r:<19}"[:28] if i < len(seq) else "-")
        lines.append(f"{i:>5}  {cells[0]:<28} {cells[1]:<28}" + ("   ◀" if i == d else ""))
    return "\n".join(lines)


def incremental_equals_full(episode: Episode, tokenizer=None) -> list[TokenIOProblem]:
    """The turn-by-turn sequence against the full re-rendering: a failure only where the pipeline trains the
    re-rendered (not sampled) sequence, or splits the rollout into undeclared samples; otherwise a hazard."""
    problems = []
    if len(episode.samples) > episode.declared_samples:
        heads = "\n\n".join(
            explain_difference(episode.samples[0].token_ids, s.token_ids, tokenizer, labels=("sample 0", f"sample {k}"))
            for k, s in enumerate(episode.samples[1:], start=1)
        )
        problems.append(TokenIOProblem("incremental_equals_full", "silent_new_branch", None, (),
                                       f"{len(episode.samples)} training samples for one linear rollout "
                                       f"(declared {episode.declared_samples}):\n{heads}"))
    a, b = episode.incremental_ids, episode.full_ids
    if a is None or b is None or list(a) == list(b):
        return problems
    d = _common_prefix(a, b)
    explanation = explain_difference(a, b, tokenizer)
    if d == len(a):
        # The full rendering only appends after the last completion (glue, an end-of-conversation token): no
        # history differs. Whether those appended tokens are trained is nothing_injected_trained's verdict.
        problems.append(TokenIOProblem("incremental_equals_full", "full_render_appends", None, (d,),
                                       f"the full rendering appends to what the model saw:\n{explanation}", hazard=True))
        return problems
    trains_full = [k for k, s in enumerate(episode.samples)
                   if len(s.token_ids) > d and list(s.token_ids[: d + 1]) == list(b[: d + 1]) and any(s.trained[d:])]
    if trains_full:
        problems.append(TokenIOProblem("incremental_equals_full", "trains_rerendered_history", trains_full[0], (d,),
                                       "the pipeline trains the re-rendered sequence, which differs from what the "
                                       f"model was given/sampled:\n{explanation}"))
    else:
        problems.append(TokenIOProblem("incremental_equals_full", "incremental_differs_from_full", None, (d,),
                                       f"(not trained: the pipeline keeps the sampled sequence)\n{explanation}",
                                       hazard=True))
    return problems


CHECKS: dict[str, Callable[[Episode, object], list[TokenIOProblem]]] = {
    "sampled_is_trained": sampled_is_trained,
    "nothing_injected_trained": nothing_injected_trained,
    "incremental_equals_full": incremental_equals_full,
}


def episode_problems(episode: Episode, tokenizer=None, properties: Sequence[str] = PROPERTIES) -> list[TokenIOProblem]:
    """Problems (failures and hazards) of ``episode`` for the named ``properties``."""
    return [p for name in properties for p in CHECKS[name](episode, tokenizer)]


def assert_episode(episode: Episode, tokenizer=None, properties: Sequence[str] = PROPERTIES, *, show: int = 3) -> list[TokenIOProblem]:
    """Raise ``AssertionError`` naming the failing properties with token tables; return the hazards."""
    problems = episode_problems(episode, tokenizer, properties)
    failures = [p for p in problems if not p.hazard]
    if failures:
        names = sorted({f"{p.property}/{p.name}" for p in failures})
        shown = "\n\n".join(str(p) for p in failures[:show])
        raise AssertionError(f"{episode.pipeline}: {len(failures)} token-in/token-out failure(s) ({', '.join(names)}):\n\n{shown}")
    return problems


@dataclass
class PrefixStability:
    """One cell of the prefix-stability table."""

    template: str
    transition: str  # tool | user | assistant
    stable: bool | None  # None: the template cannot render this transition
    detail: str = ""
    first_difference: dict = field(default_factory=dict)


def prefix_cell(template: str, transition: str, before: str | None, after: str | None, error: str = "") -> PrefixStability:
    """Whether ``before`` (rendering without the new message) is a prefix of ``after`` (with it)."""
    if before is None or after is None:
        return PrefixStability(template, transition, None, error)
    if after.startswith(before):
        return PrefixStability(template, transition, True)
    d = 0
    while d < min(len(before), len(after)) and before[d] == after[d]:
        d += 1
    return PrefixStability(template, transition, False, f"differs at char {d}: before {before[d:d + 40]!r}, "
                           f"after {after[d:d + 40]!r}",
                           {"char": d, "before": before[max(0, d - 20):d + 40], "after": after[max(0, d - 20):d + 40]})
