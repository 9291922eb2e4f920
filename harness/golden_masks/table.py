"""The text of a golden file: per fixed conversation, one row per token with the oracle's expected label and,
per pipeline, what it trains (✓ trained, ✗ not, ~ either, - this pipeline could not produce this conversation)."""

from __future__ import annotations

from collections.abc import Sequence

from harness.golden_masks.diff import SECTION_PREFIX
from harness.golden_masks.pipelines import PIPELINES, Pipeline, PipelineUnavailable

TRAINED, NOT_TRAINED, EITHER, ABSENT = "✓", "✗", "~", "-"


def _show(text: str) -> str:
    return repr(text)[1:-1] if text else "''"


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _pipeline_marks(masker, oracle, tokenizer) -> tuple[list[str] | None, str]:
    """Per token, what the pipeline trains; or (None, why) when it fails or its tokens are not the template's."""
    from harness.masker_output import normalize_output

    try:
        output = normalize_output(masker([dict(m) for m in oracle.messages], oracle.tools))
    except Exception as error:  # noqa: BLE001 - any pipeline failure is written into the golden file
        return None, f"failed: {_first_line(error)}"
    if output.input_ids != list(oracle.input_ids):
        ours, theirs = list(oracle.input_ids), output.input_ids
        at = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        tokens = lambda ids: tokenizer.convert_ids_to_tokens(ids[at:at + 3])  # noqa: E731
        return None, (f"its tokens differ from the template's rendering from token {at}: "
                      f"{tokens(theirs)} instead of {tokens(ours)}")
    return [TRAINED if t else NOT_TRAINED for t in output.trained], ""


def golden_text(name: str, tokenizer, pipelines: Sequence[Pipeline] = PIPELINES) -> str:
    """The golden file of ``tokenizer`` (named ``name``); dates frozen, conversations from ``golden_conversations``."""
    from harness.adapters.transformers import frozen_template_date
    from harness.golden_masks.conversations import golden_conversations
    from harness.oracle import Expect, OracleError, build_oracle

    expected_mark = {Expect.TRAIN: TRAINED, Expect.SKIP: NOT_TRAINED, Expect.EITHER: EITHER}
    lines = [f"# {name}: what is trained in fixed conversations (✓ trained, ✗ not, ~ either, - n/a here)",
             "# exp: the oracle's expected labels"]
    maskers = []
    for pipeline in pipelines:
        try:
            masker = pipeline.build(tokenizer)
        except PipelineUnavailable as error:
            lines.append(f"# {pipeline.name}: n/a: {error}")
            continue
        maskers.append((pipeline, masker))
        lines.append(f"# {pipeline.name}: {pipeline.description}; template: {masker.template_label}")
    columns = ["exp"] + [p.name for p, _ in maskers]
    widths = [max(3, len(c)) for c in columns]
    header = f"{'idx':>5}  {'id':>7}  {'role':<10} " + " ".join(f"{c:^{w}}" for c, w in zip(columns, widths)) + "  token"
    with frozen_template_date():
        for conversation in golden_conversations(tokenizer):
            lines += ["", f"{SECTION_PREFIX}{conversation.name}"]
            if conversation.messages is None:
                lines.append(f"n/a: {conversation.reason}")
                continue
            try:
                oracle = build_oracle(tokenizer, conversation.messages, conversation.tools)
            except OracleError as error:
                lines.append(f"n/a: the oracle cannot label it: {_first_line(error)}")
                continue
            marks = [[expected_mark[e] for e in oracle.expected]]
            for pipeline, masker in maskers:
                got, why = _pipeline_marks(masker, oracle, tokenizer)
                if got is None:
                    lines.append(f"# {pipeline.name}: n/a here: {why}")
                    got = [ABSENT] * len(oracle.input_ids)
                marks.append(got)
            for hazard in oracle.hazards:
                lines.append(f"# hazard [{hazard.kind}] message {hazard.message_index}: {hazard.detail}")
            lines.append(header)
            roles = oracle.token_roles
            for i, token_id in enumerate(oracle.input_ids):
                a, b = oracle.offsets[i]
                cells = " ".join(f"{column[i]:^{w}}" for column, w in zip(marks, widths))
                lines.append(f"{i:>5}  {token_id:>7}  {roles[i]:<10} {cells}  {_show(oracle.text[a:b])}")
    return "\n".join(lines) + "\n"
