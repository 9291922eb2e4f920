"""One conversation through a masker, every property judged: ``judge`` (a conversation) and ``judge_output`` (a
masker's normalised output against the oracle, after setting collator padding aside and aligning the ids)."""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from harness.adapters import transformers as hf
from harness.masking.alignment import Alignment, Match, align
from harness.masking.conversation import validate_conversation
from harness.masking.oracle import Hazard, Oracle, Policy, build_oracle
from harness.masking.output import MaskerOutput, MaskerOutputError, normalize_output
from harness.masking.properties import Violation, violations
from harness.masking.report import Failure, conversation_text, explanation
from harness.types import Masker


def _token_list(tokenizer, ids: Sequence[int], center: int, *, context: int = 3) -> str:
    lo, hi = max(0, center - context), min(len(ids), center + context + 1)
    cells = [f"[{i}] {ids[i]} {hf.decode_token(tokenizer, ids[i])!r}" + (" ◀" if i == center else "") for i in range(lo, hi)]
    return "  " + "\n  ".join(cells) if cells else "  (none: the ids end here)"


def _ids_finding(tokenizer, oracle: Oracle, ids: list[int], alignment: Alignment) -> Violation:
    what = {
        Match.RESEGMENTED: ("segmentation", "input_ids spell the rendering's text with other token boundaries "
                            "(tokenized piece by piece?): a model trained on this segmentation is served another. "
                            "Labels are judged on the characters each token spells."),
        Match.TRUNCATED: ("truncated", "input_ids stop before the end of the rendering (truncated?): "
                          "the turns after the cut are never trained. Labels are judged on the part kept."),
        Match.DIFFERENT: ("text differs", "input_ids do not spell the rendering's text (an extra BOS, a lost or "
                          f"rewritten token; {alignment.detail}): labels cannot be judged position by position."),
    }[alignment.match]
    summary = (
        f"{what[1]}\n(masker: {len(ids)} tokens, rendering: {len(oracle.input_ids)} tokens; first difference at "
        f"masker token {alignment.first_difference}, rendering token {alignment.reference_index})\n"
        f"masker's tokens there:\n{_token_list(tokenizer, ids, alignment.first_difference)}\n"
        f"rendering's tokens there:\n{_token_list(tokenizer, oracle.input_ids, alignment.reference_index)}"
    )
    return Violation("input_ids_match_rendering", summary, (), what[0])


def _raised(messages, tools, error: Exception) -> Failure:
    tb = "".join(traceback.format_exception_only(type(error), error)).strip()
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return Failure(
        "masker_raised", messages, tools,
        f"the masker raised {tb}{at} on a conversation its template renders\nconversation (shrunk):\n"
        f"{conversation_text(messages, tools)}",
        type(error).__name__,
    )


def judge(
    masker: Masker,
    tokenizer,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    *,
    policy: Policy = Policy(),
    template_kwargs: Mapping[str, Any] | None = None,
    oracle: Oracle | None = None,
) -> tuple[Oracle, list[Failure]]:
    """Run the masker on one conversation and judge every property, one Failure per failure class.

    ``oracle``: the conversation's oracle when the caller built it already (the dataset audit reads the whole
    rendering's turns from it; the returned one is realigned with the masker's tokens).
    Raises ConversationError for a malformed conversation, OracleError if the oracle cannot judge it.
    """
    validate_conversation(messages, tools)
    messages = [dict(m) for m in messages]
    tools = [dict(t) for t in tools] if tools else None
    if oracle is None:
        oracle = build_oracle(tokenizer, messages, tools, policy=policy, template_kwargs=template_kwargs)
    try:
        raw = masker([dict(m) for m in messages], [dict(t) for t in tools] if tools else None)
    except Exception as error:  # the masker's own bug, reported with its traceback
        return oracle, [_raised(messages, tools, error)]
    try:
        output = normalize_output(raw)
    except MaskerOutputError as error:
        return oracle, [Failure("output_format", messages, tools, f"{error}\nconversation (shrunk):\n"
                                f"{conversation_text(messages, tools)}")]
    view, found, trained = judge_output(tokenizer, oracle, output, policy=policy)
    return view, [
        Failure(v.property, messages, tools, explanation(view, trained, v, messages, tools) if v.token_indices else
                f"{v.summary}\nconversation (shrunk):\n{conversation_text(messages, tools)}", v.kind,
                tokens=tuple(v.token_indices))
        for v in found
    ]


def judge_output(
    tokenizer, oracle: Oracle, output: MaskerOutput, *, policy: Policy = Policy()
) -> tuple[Oracle, list[Violation], list[bool] | None]:
    """``(view, violations, trained)``: every violation of a masker's normalised output, the oracle
    aligned with its tokens, and which of those tokens it trains (None where nothing lines up).

    ids that spell the rendering with other boundaries, or a prefix of it, are judged on the
    characters each token spells (``Oracle.realigned``); token indices then refer to the masker's
    tokens. ids that spell other text get only the ``input_ids_match_rendering`` violation.
    """
    output = _without_padding(tokenizer, oracle, output)
    alignment = align(tokenizer, oracle, output.input_ids)
    found: list[Violation] = []
    if alignment.match is not Match.SAME:
        finding = _ids_finding(tokenizer, oracle, output.input_ids, alignment)
        if alignment.match is Match.RESEGMENTED and policy.segmentation is None:
            oracle.hazards.append(Hazard("resegmented", None, finding.summary.split("\n")[0]))
        elif alignment.match is Match.TRUNCATED and (kept := _untrained_tail(oracle, alignment)) is not None:
            oracle.hazards.append(Hazard("untrained_tail", None, f"input_ids leave out the rendering's last "
                                         f"{len(oracle.text) - kept} character(s) {oracle.text[kept:][:40]!r}, "
                                         f"which the policy does not require trained"))
        else:
            found.append(finding)
    if alignment.match is Match.DIFFERENT:
        return oracle, found, None
    view = oracle if alignment.match is Match.SAME else oracle.realigned(output.input_ids, alignment.offsets)
    return view, found + violations(view, output), output.trained


def _untrained_tail(oracle: Oracle, alignment: Alignment) -> int | None:
    """Where truncated ids end in the rendering (characters kept) when what they leave out holds nothing that must be
    trained (the newline a template writes after the last stop token, untrained or either by the policy): nothing
    the model must learn is lost, so it is a fact, not a failure. None otherwise."""
    kept = alignment.offsets[-1][1] if alignment.offsets else 0
    tail = oracle.requirements[kept:]
    return kept if oracle.requirements and tail and not any(value is True for value in tail) else None


def _without_padding(tokenizer, oracle: Oracle, output: MaskerOutput) -> MaskerOutput:
    """``output`` less the untrained pad tokens a collator added before or after the rendering
    (``pad_to_multiple_of``, left padding), reported as a ``padded`` hazard; unchanged otherwise."""
    pad = getattr(tokenizer, "pad_token_id", None)
    ids = output.input_ids
    if pad is None or len(ids) <= len(oracle.input_ids):
        return output
    keep_end = len(oracle.input_ids) - len(list(_rstrip(oracle.input_ids, pad)))  # pads the rendering itself ends with
    keep_start = len(oracle.input_ids) - len(list(_lstrip(oracle.input_ids, pad)))
    lo, hi = 0, len(ids)
    while hi > lo and ids[hi - 1] == pad and not output.trained[hi - 1]:
        hi -= 1
    while lo < hi and ids[lo] == pad and not output.trained[lo]:
        lo += 1
    lo, hi = max(0, lo - keep_start), min(len(ids), hi + keep_end)
    if (lo, hi) == (0, len(ids)):
        return output
    oracle.hazards.append(Hazard("padded", None, f"{lo} pad token(s) before and {len(ids) - hi} after the rendering "
                                 f"(untrained) were set aside; token indices count from the first one kept"))
    labels = output.labels[lo:hi] if output.labels is not None else None
    return dataclasses.replace(output, input_ids=ids[lo:hi], trained=output.trained[lo:hi], labels=labels)


def _rstrip(ids: list[int], pad: int) -> list[int]:
    end = len(ids)
    while end and ids[end - 1] == pad:
        end -= 1
    return ids[:end]


def _lstrip(ids: list[int], pad: int) -> list[int]:
    start = 0
    while start < len(ids) and ids[start] == pad:
        start += 1
    return ids[start:]
