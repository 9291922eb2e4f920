"""Everything the harness asks of ``verifiers`` (v1 API, verifiers>=0.4). No other harness module imports it.

- ``evaluation``: an exact-match environment evaluated with ``vf-eval``'s runner against an OpenAI-compatible
  endpoint, fully offline (``evaluate_exact_match``, the reward ``reply_matches``);
- ``plugin``: the verifiers plugin that evaluation runs (``ExactMatchTaskset``, ``InProcessChatHarness``); it
  imports verifiers at the top, so it is imported only when an evaluation runs;
- ``traces``: a verifiers v1 ``Trace`` built from scripted model responses, as a ``harness.rollouts.episodes.Episode``
  (``scripted_trace_episode``).

verifiers is imported inside functions (or by ``plugin`` on first use), so importing this package is cheap.
"""

from __future__ import annotations

from harness.adapters.verifiers.evaluation import (
    MATCH_MODES,
    PLUGIN_ID,
    VerifiersEvalResult,
    evaluate_exact_match,
    reply_matches,
)
from harness.adapters.verifiers.traces import scripted_trace_episode

_PLUGIN_CLASSES = ("ExactMatchData", "ExactMatchTask", "ExactMatchTasksetConfig", "ExactMatchTaskset",
                   "InProcessChatHarnessConfig", "InProcessChatHarness")


def __getattr__(name: str):
    # The plugin classes subclass verifiers' own: importing them imports verifiers, so only on first use.
    if name in _PLUGIN_CLASSES:
        from harness.adapters.verifiers import plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MATCH_MODES",
    "PLUGIN_ID",
    "VerifiersEvalResult",
    "evaluate_exact_match",
    "reply_matches",
    "scripted_trace_episode",
]
