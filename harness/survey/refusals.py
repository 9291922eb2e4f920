"""How often the oracle refuses a template's random conversations, and a fixed sample of them to judge.

``sample_conversations`` draws conversations the way ``check_masker`` does (``conversations_for``: adapted to what
the template's probe found it accepts), reproducibly from a seed. ``refusals`` builds the oracle on each and keeps
those it could judge with their oracle, and why it refused the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


def sample_conversations(tokenizer, count: int, *, seed: int = 0, max_turns: int = 4,
                         template_kwargs: Mapping[str, Any] | None = None) -> list[dict]:
    """``count`` conversations (``{"messages", "tools"}``) drawn from ``conversations_for(tokenizer)``, the same for
    the same seed, in any process and whatever ran before (no constants from local source code, see
    ``_without_source_constants``); fewer where Hypothesis runs out of distinct ones on a small template."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from harness.strategies import conversations_for

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    strategy = conversations_for(tokenizer, max_turns=max_turns, template_kwargs=dict(template_kwargs or {}))
    drawn: list[dict] = []

    @settings(max_examples=count, database=None, deadline=None, derandomize=False, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(conversation):
        if len(drawn) < count and repr(conversation) not in seen:
            seen.add(repr(conversation))
            drawn.append(conversation)

    seen: set[str] = set()
    with _without_source_constants():
        collect()
    return drawn


@contextlib.contextmanager
def _without_source_constants() -> Iterator[None]:
    """Hypothesis (6.131 on) spends about 5 % of its draws on constants collected from the source of every *local*
    module in ``sys.modules`` at the time (the harness's own, a project's; not tests or site-packages): a pool that
    differs between a script and a pytest worker and grows as tests import more of the harness, so the same seed
    gave a different sample after other tests ran. Drawn here with that pool empty (Hypothesis has no setting for
    it: its private hook is replaced for the draw, and the constants cache it fills cleared on both sides)."""
    from hypothesis.internal.conjecture import providers

    collect = getattr(providers, "_get_local_constants", None)
    if collect is None:  # a Hypothesis from before local constants (or one that renamed the hook: see the test)
        yield
        return
    empty = providers.Constants()
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", {})  # the pools allowed per draw kind
    providers._get_local_constants = lambda *args, **kwargs: empty
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = collect
        cache.clear()


@dataclass
class Refusals:
    """The oracle on a sample: ``judged`` pairs (conversation, oracle) and ``refused`` pairs (conversation, reason)."""

    judged: list[tuple[dict, Any]] = field(default_factory=list)
    refused: list[tuple[dict, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.judged) + len(self.refused)

    @property
    def rate(self) -> float:
        """Share of the sample the oracle refused (0.0 on an empty sample)."""
        return len(self.refused) / self.total if self.total else 0.0

    def reasons(self, limit: int = 3) -> list[str]:
        """The distinct reasons for refusing, most frequent first."""
        counts: dict[str, int] = {}
        for _, reason in self.refused:
            counts[reason] = counts.get(reason, 0) + 1
        return [f"{n}x {reason}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])][:limit]


def refusals(tokenizer, conversations: list[dict], *, template_kwargs: Mapping[str, Any] | None = None) -> Refusals:
    """Build the oracle on each conversation; an ``OracleError`` (the template raising included) is a refusal."""
    from harness.masking.oracle import OracleError, build_oracle

    result = Refusals()
    for conversation in conversations:
        try:
            oracle = build_oracle(tokenizer, conversation["messages"], conversation.get("tools"),
                                  template_kwargs=dict(template_kwargs or {}))
        except OracleError as error:
            result.refused.append((conversation, f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"))
        else:
            result.judged.append((conversation, oracle))
    return result
