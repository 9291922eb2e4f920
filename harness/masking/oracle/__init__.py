"""The ground truth: which characters (and so which tokens) of a rendered conversation the model generated.

How it works, for a conversation ``M`` rendered by the tokenizer's chat template into ``R``:

1. **What was sampled.** For each assistant turn ``i`` the oracle renders ``M[:i]`` with the
   generation prompt (``P_i``) and ``M[:i+1]`` without (``F_i``). The model emitted
   ``F_i[s_i:]`` where ``s_i`` is where ``F_i`` leaves ``P_i`` (text the generation prompt forces,
   such as DeepSeek-R1's ``<think>\\n``, is not the model's). The emitted text ends at the
   template's stop token: the last special token of the turn's tail, after the turn's last
   content character (found by rendering a *twin* turn whose every content character differs,
   so a stop string spelled inside the content is never taken for the real one). Whitespace the
   template writes after the stop token (Qwen's ``\\n`` after ``<|im_end|>``) is *glue*: not
   generated, trainable only under ``Policy(train_glue_after_stop=...)``.
2. **Where it is in the full rendering.** If ``R`` starts with ``F_i`` up to the stop token, the
   turn is rendered exactly as sampled (the common case) and its span is known exactly.
3. **History rewriting.** Some templates render earlier turns differently from what was sampled:
   Qwen3 drops the reasoning of turns before the last user query, gpt-oss drops the analysis
   channel and turns ``<|return|>`` into ``<|end|>``, DeepSeek-R1 strips ``</think>`` reasoning.
   The oracle then locates each turn *as rendered* in ``R``: a twin render of the full
   conversation per message gives the region of ``R`` that depends on that message's text; the
   turn starts after the last assistant header before its region and ends at its stop token.
   The default policy trains the turn as rendered (reasoning as rendered), and every rewritten
   turn is reported as a ``history_rewrite`` hazard naming the sampled and the rendered tokens:
   the tokens trained there are not the tokens the model sampled.

What the oracle cannot see: a template that drops text even from the turn being sampled
(DeepSeek-R1 keeps only what follows ``</think>`` in every turn) renders the same text at sampling
time and in history, so no ``history_rewrite`` is reported; the turn is judged as rendered.

Tokens are mapped to characters through the tokenizer's offsets. A token that covers both
generated and non-generated characters is a ``straddle`` hazard and is accepted either way.
Content that spells a control token (``<|im_end|>`` inside a user message) is a ``control_string``
hazard: most tokenizers turn it into the real control token. The oracle judges by the template's
structure (a turn ends at the template's own stop token), never by a stop string in the content.
The oracle uses neither ``{% generation %}`` tags nor any library's mask.

Modules: ``types`` (Expect, Hazard, TurnSpan, errors), ``render`` (template renders, twin messages,
diff regions), ``stops`` (stop tokens and control strings), ``sampled`` (what the model sampled for a
turn), ``locate`` (where turns and messages are in the full rendering), ``labels`` (per-character
requirements and per-token labels), ``judgement`` (``Oracle``), ``build`` (``build_oracle``).
``Policy`` lives in ``harness.masking.policy`` and is re-exported here.
"""

from __future__ import annotations

from harness.masking.oracle.build import build_oracle
from harness.masking.oracle.judgement import Oracle
from harness.masking.oracle.locate import MessageStarts
from harness.masking.oracle.render import twin_message
from harness.masking.oracle.stops import conversation_ending
from harness.masking.oracle.types import Expect, Hazard, OracleError, TemplateRenderError, TurnSpan
from harness.masking.policy import Policy

__all__ = [
    "Expect",
    "Hazard",
    "MessageStarts",
    "Oracle",
    "OracleError",
    "Policy",
    "TemplateRenderError",
    "TurnSpan",
    "build_oracle",
    "conversation_ending",
    "twin_message",
]
