"""Sampling probe (a test helper): how often does a model produce given token ids — e.g. added
control tokens — under greedy, temperature, top-k and top-p sampling, optionally after a forced
prefix? Plus the check that every added token of a tokenizer is really ONE token when its string
is tokenized (otherwise a model can never emit it as the single id a trainer/parser expects).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.evaluation.generation import STRATEGIES, Sampling, generate_ids
from harness.reports import JobResult


@dataclass
class ProbeResult(JobResult):
    """How often the probed token ids were generated under one sampling strategy (a measurement)."""

    strategy: str
    num_sequences: int
    num_generated_tokens: int
    counts: dict[int, int] = field(default_factory=dict)
    sequences_with_token: dict[int, int] = field(default_factory=dict)

    def rate(self, token_id: int) -> float:
        """Occurrences of ``token_id`` per generated token."""
        return self.counts.get(token_id, 0) / max(self.num_generated_tokens, 1)

    def sequence_rate(self, token_id: int) -> float:
        """Fraction of generated sequences that contain ``token_id`` at least once."""
        return self.sequences_with_token.get(token_id, 0) / max(self.num_sequences, 1)

    def summary(self) -> dict:
        return {
            "strategy": self.strategy,
            "num_sequences": self.num_sequences,
            "num_generated_tokens": self.num_generated_tokens,
            "per_token": {str(t): {"count": c, "rate": self.rate(t), "sequence_rate": self.sequence_rate(t)}
                          for t, c in self.counts.items()},
        }


def probe_token_frequencies(
    model,
    tokenizer,
    prompts: Sequence[str],
    token_ids: Sequence[int],
    *,
    strategies: Sequence[Sampling] = STRATEGIES,
    forced_prefix: str | None = None,
    samples_per_prompt: int = 4,
    max_new_tokens: int = 16,
    seed: int = 0,
) -> dict[str, ProbeResult]:
    """Generate ``samples_per_prompt`` continuations per prompt under each strategy (greedy: one)
    and count ``token_ids`` among the GENERATED tokens (a ``forced_prefix`` is appended to every
    prompt and not counted). EOS ends a sequence, so it is never counted."""
    prefix_ids = tokenizer(forced_prefix, add_special_tokens=False)["input_ids"] if forced_prefix else []
    base = [tokenizer(p, add_special_tokens=False)["input_ids"] + prefix_ids for p in prompts]
    results = {}
    for strategy in strategies:
        repeats = samples_per_prompt if strategy.do_sample else 1
        inputs = [ids for ids in base for _ in range(repeats)]
        new = generate_ids(model, tokenizer, inputs, max_new_tokens=max_new_tokens, sampling=strategy, seed=seed)
        result = ProbeResult(strategy.name, len(new), sum(len(n) for n in new))
        for token_id in token_ids:
            result.counts[token_id] = sum(n.count(token_id) for n in new)
            result.sequences_with_token[token_id] = sum(token_id in n for n in new)
        results[strategy.name] = result
    return results


def added_token_encodings(tokenizer) -> dict[str, tuple[int, list[int]]]:
    """For every added token: its string -> (its id, the ids its string tokenizes to)."""
    out = {}
    for token_id, token in sorted(getattr(tokenizer, "added_tokens_decoder", {}).items()):
        text = str(token)
        out[text] = (token_id, tokenizer(text, add_special_tokens=False)["input_ids"])
    return out


def added_tokens_not_single(tokenizer) -> dict[str, tuple[int, list[int]]]:
    """The added tokens whose string does NOT tokenize to exactly their own single id."""
    return {t: (i, ids) for t, (i, ids) in added_token_encodings(tokenizer).items() if ids != [i]}
