"""One conformance cell's check, split by what the data must contain to show each failure class.

A failure class either shows on ordinary conversations, or only when a message content (or reasoning, or tool-call
arguments) spells one of the template's control tokens (``<|im_end|>``, ``<|im_start|>assistant`` in a system
prompt ...: the tokenizer's special and added control tokens, ``special_token_strings``). A user needs to know which
failures their ordinary data will hit.

``check_split`` runs ``check_masker`` as the contract does (contents sometimes spell control strings); a class whose
shrunk conversation spells none of the template's control tokens shows on ordinary data. Where some shrunk
conversation does spell one, a second search on contents that spell no control string at all
(``conversations_for(tokenizer, control_strings=())``) looks for those classes alone (the ordinary ones set aside
with ``check_masker(ignore=...)``, ``ORDINARY_SEARCH_FACTOR`` times the conversations per round): a class it finds
is ordinary too, the others show only with control-token contents (none was found on ordinary contents: a claim as
strong as that search). A correct masker costs one search; the second runs only where a class is suspect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from harness.masking.check import Failure, check_masker

# The search on ordinary contents draws this many times the contract's conversations per round: a class it misses is
# reported as needing control tokens, the claim a user relies on to skip it, so it looks harder than the contract.
ORDINARY_SEARCH_FACTOR = 2


def spelled_control_tokens(messages: Sequence[Mapping], control_tokens: Iterable[str]) -> list[str]:
    """The control tokens that some message's content, reasoning or tool-call arguments spell (sorted)."""
    from harness.masking.conversation import REASONING_FIELDS

    fields: list[str] = []
    for message in messages:
        fields += [message.get("content"), *(message.get(name) for name in REASONING_FIELDS)]
        if isinstance(message.get("content"), list):  # content parts: their text
            fields += [part.get("text") for part in message["content"] if isinstance(part, Mapping)]
        for call in message.get("tool_calls") or []:
            if isinstance(call, Mapping):
                function = call.get("function", call)
                fields.append(str(function.get("arguments") if isinstance(function, Mapping) else function))
    texts = [f for f in fields if isinstance(f, str) and f]
    return sorted({token for token in control_tokens if any(token in text for text in texts)})


@dataclass
class SplitReport:
    """A cell's check: every failure class, and those that show only with control-token contents."""

    failures: list[Failure] = field(default_factory=list)  # one per class, on an ordinary conversation where found
    control_only: list[str] = field(default_factory=list)  # keys of the classes seen only with control tokens
    examples: int = 0  # conversations judged, both searches
    gaps: list[str] = field(default_factory=list)  # what the check could not exercise (the contract's search)
    details: str = ""  # the reports' text

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.failures]


def check_split(masker, tokenizer, *, examples: int, seed: int = 0, policy=None, replay_dir=None,
                control_tokens: Iterable[str] | None = None, check=check_masker) -> SplitReport:
    """``check_masker`` on ``masker``, each failure class marked ordinary or control-token-only (module docstring).
    ``control_tokens`` default to the tokenizer's ``special_token_strings``; ``check`` is ``check_masker`` (a test
    passes a stand-in)."""
    from harness.adapters.transformers import special_token_strings
    from harness.strategies import conversations_for

    tokens = sorted(special_token_strings(tokenizer) if control_tokens is None else set(control_tokens))
    policy = policy if policy is not None else getattr(masker, "policy", None)
    options = dict(max_examples=examples, seed=seed, policy=policy, replay_dir=replay_dir)
    contract = check(masker, tokenizer, **options)
    out = SplitReport(examples=contract.examples, gaps=list(contract.coverage.gaps), details=str(contract))
    suspects = suspect_classes(contract.failures, tokens)
    ordinary = None
    if suspects:
        ordinary = check(masker, tokenizer, **options | {"max_examples": ORDINARY_SEARCH_FACTOR * examples},
                         conversations=conversations_for(tokenizer, control_strings=()),
                         ignore=[f.key for f in contract.failures if f.key not in suspects])
        out.examples += ordinary.examples
        out.details += (f"\n\nsearch on contents that spell no control string, for {', '.join(suspects)}:\n"
                        f"{ordinary}")
    out.failures, out.control_only = split_classes(contract.failures, suspects,
                                                   ordinary.failures if ordinary is not None else [])
    return out


def suspect_classes(failures: Sequence[Failure], control_tokens: Sequence[str]) -> list[str]:
    """The keys of the failures whose shrunk conversation spells a control token."""
    return [f.key for f in failures if spelled_control_tokens(f.messages, control_tokens)]


def split_classes(contract: Sequence[Failure], suspects: Sequence[str],
                  ordinary: Sequence[Failure]) -> tuple[list[Failure], list[str]]:
    """(every failure class, once: on an ordinary conversation where the second search found it; the keys of the
    suspects that search did not find: those that show only with control-token contents)."""
    from harness.masking.report import ordered

    by_key = {f.key: f for f in contract}
    by_key |= {f.key: f for f in ordinary}  # a suspect (or a class the first search missed) on ordinary contents
    found_ordinary = {f.key for f in ordinary}
    failures = ordered(by_key.values())
    return failures, [f.key for f in failures if f.key in suspects and f.key not in found_ordinary]
