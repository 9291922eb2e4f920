"""``Oracle``: one rendered conversation, its tokens, and the label each token is expected to have."""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.masking.oracle.labels import _expected_from, _stop_token_indices, _trained_turns
from harness.masking.oracle.locate import MessageStarts
from harness.masking.oracle.types import Expect, Hazard, TurnSpan
from harness.masking.policy import Policy


@dataclass(repr=False)
class Oracle:
    """The judgement of one conversation (built by ``build_oracle``).

    ``expected[t]`` is what a masker must do with token ``t`` of ``input_ids``; ``requirements``
    holds the same per character, so ``realigned`` can judge another segmentation of ``text``.
    Where each message starts (``message_starts``, used for ``token_roles``) is found lazily by
    ``message_locator``: see ``MessageStarts``.
    """

    messages: list[dict]
    tools: list[dict] | None
    text: str
    input_ids: list[int]
    offsets: list[tuple[int, int]]
    turns: list[TurnSpan]
    expected: list[Expect]
    stop_tokens: dict[int, list[int]]  # message index -> token indices of its stop token
    hazards: list[Hazard] = field(default_factory=list)
    ending: tuple[int, int] = (0, 0)  # characters written only after a final assistant turn
    policy: Policy = Policy()
    requirements: list[bool | None] = field(default_factory=list)  # per character: must/must not/either train
    message_locator: MessageStarts | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        counts = Counter(e.value for e in self.expected)
        labels = ", ".join(f"{counts[e.value]} {e.value}" for e in Expect)
        hazards = dict(Counter(h.kind for h in self.hazards))
        return (
            f"<Oracle: {len(self.messages)} messages, assistant turns at {[t.message_index for t in self.turns]}, "
            f"{len(self.input_ids)} tokens ({labels}), hazards {hazards}, {_short_policy(self.policy)}>"
        )

    @property
    def message_starts(self) -> list[int | None]:
        """Character where each message's rendering starts (prefix renders on first use: ``MessageStarts``)."""
        return self.message_locator.get() if self.message_locator is not None else [0] * len(self.messages)

    @property
    def trained_turns(self) -> list[TurnSpan]:
        """The turns the policy trains (all, or the last one)."""
        return _trained_turns(self.turns, self.policy)

    @functools.cached_property
    def token_roles(self) -> list[str]:
        """Role of the message each token belongs to (for the token table)."""
        # Owner of a character: the last message (by index) that starts at or before it.
        located = sorted((start, k) for k, start in enumerate(self.message_starts) if start is not None)
        starts = [start for start, _ in located]
        owners, latest = [], -1
        for _, k in located:
            latest = max(latest, k)
            owners.append(latest)
        roles = []
        for start, _ in self.offsets:
            at = bisect.bisect_right(starts, start) - 1
            roles.append(self.messages[owners[at]]["role"] if at >= 0 else "template")
        token_starts = [a for a, _ in self.offsets]
        for turn in self.turns:
            t = bisect.bisect_left(token_starts, turn.glue_end) - 1
            while t >= 0 and self.offsets[t][1] > turn.start:
                if self.offsets[t][0] < turn.glue_end:
                    roles[t] = "assistant"
                t -= 1
        if self.ending[0] < self.ending[1]:
            for t in range(bisect.bisect_left(token_starts, self.ending[0]), len(roles)):
                roles[t] = "end"  # text the template writes after the last message
        return roles

    def realigned(self, input_ids: Sequence[int], offsets: Sequence[tuple[int, int]]) -> "Oracle":
        """The same judgement for another segmentation of the same text (a masker's own tokens).

        ``offsets`` are each token's characters in ``self.text``; expectations are recomputed from
        the per-character requirements, so a token is judged by the characters it spells.
        """
        hazards: list[Hazard] = []
        offsets = [tuple(span) for span in offsets]
        expected = _expected_from(self.text, offsets, self.requirements, self.trained_turns, hazards)
        return dataclasses.replace(
            self,
            input_ids=list(input_ids),
            offsets=offsets,
            expected=expected,
            stop_tokens=_stop_token_indices(offsets, self.trained_turns),
            hazards=self.hazards + [h for h in hazards if h.kind == "straddle"],
        )


def _short_policy(policy: Policy) -> str:
    """``Policy(...)`` naming only the fields that differ from the default."""
    changed = [
        f"{f.name}={getattr(policy, f.name)!r}" for f in dataclasses.fields(policy) if getattr(policy, f.name) != f.default
    ]
    return f"Policy({', '.join(changed)})"
