"""Text that closes an assistant turn which has no stop token.

A template whose end-of-turn marker is no single token of the vocabulary (Apriel 1.6's ``<|end|>`` on a vocabulary
without it) ends a turn with its text, as far as special tokens tell, and writes the marker only once another message
follows. The model samples that marker as text to stop, so it may be trained or not; the next message's header after
it must not be. The marker is what the template writes after the turn whatever message follows: the rendering with the
conversation's next message and one with a message of another role agree on it, up to the last line break they share.
"""

from __future__ import annotations

import os

from harness.masking.oracle.render import _render
from harness.masking.oracle.types import OracleError

# Messages of another role than the next one, to render after the turn: a user message follows an assistant turn in
# every template; an assistant one where the next message is a user's.
_OTHER_FOLLOWERS = ({"role": "user", "content": "Q"}, {"role": "assistant", "content": "Q"})


def text_close(tokenizer, messages, tools, i: int, text: str, end: int, template_kwargs) -> tuple[int, int] | None:
    """The span of ``text`` (the whole rendering) after turn ``i``, which ends at ``end`` without a stop token, that the
    template writes whatever message follows; None where that is only whitespace, or nothing else can follow."""
    after = text[end:]
    for other in _OTHER_FOLLOWERS:
        if other["role"] == messages[i + 1].get("role"):
            continue
        try:
            rendered = _render(tokenizer, [*messages[: i + 1], other], tools, template_kwargs)
        except OracleError:
            continue
        if rendered[:end] != text[:end]:
            continue  # the turn renders otherwise before another follower: no common ground to compare
        shared = os.path.commonprefix([after, rendered[end:]])
        close = shared[: shared.rfind("\n") + 1]
        return (end, end + len(close)) if close.strip() else None
    return None
