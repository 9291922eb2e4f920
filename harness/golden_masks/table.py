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


def _outputs(masker, conversations) -> list:
    """The masker's output per conversation (an exception in place of a failed one). A masker with ``many``
    (trl's SFT path) does them in one call."""
    renderable = [(c.messages, c.tools) for c in conversations if c.messages is not None]
    if hasattr(masker, "many"):
        try:
            done = iter(masker.many(renderable))
        except Exception as error:  # noqa: BLE001 - any pipeline failure is written into the golden file
            done = iter([error] * len(renderable))
    else:
        def call(messages, tools):
            try:
                return masker([dict(m) for m in messages], tools)
            except Exception as error:  # noqa: BLE001
                return error
        done = iter([call(*item) for item in renderable])
    return [next(done) if c.messages is not None else None for c in conversations]


def _pipeline_marks(raw, oracle, tokenizer) -> tuple[list[str] | None, str]:
    """Per token, what the pipeline trained; or (None, why) when it failed or its tokens are not the template's."""
    from harness.masking.output import normalize_output

    if isinstance(raw, Exception):
        return None, f"failed: {_first_line(raw)}"
    try:
        output = normalize_output(raw)
    except Exception as error:  # noqa: BLE001
        return None, f"failed: {_first_line(error)}"
    if output.input_ids != list(oracle.input_ids):
        ours, theirs = list(oracle.input_ids), output.input_ids
        at = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        tokens = lambda ids: tokenizer.convert_ids_to_tokens(ids[at:at + 3])  # noqa: E731
        return None, (f"its tokens differ from the template's rendering from token {at}: "
                      f"{tokens(theirs)} instead of {tokens(ours)}")
    return [TRAINED if t else NOT_TRAINED for t in output.trained], ""


def _own_template(tokenizer) -> str:
    template = tokenizer.chat_template
    return template["default"] if isinstance(template, dict) else template


def golden_text(name: str, tokenizer, pipelines: Sequence[Pipeline] = PIPELINES) -> str:
    """The golden file of ``tokenizer`` (named ``name``); dates frozen, conversations from ``golden_conversations``.

    Rows follow the rendering of one template. The tokenizer's own template comes first (the oracle's column
    only, unless a pipeline renders with it); each other template a pipeline trains with (trl's
    ``*_training.jinja``) gets its own block per conversation, ``## <conversation> · <template>``, whose oracle
    column is computed for that template."""
    import copy

    from harness.adapters.transformers import frozen_template_date
    from harness.golden_masks.conversations import golden_conversations

    lines = [f"# {name}: what is trained in fixed conversations (✓ trained, ✗ not, ~ either, - n/a here)",
             "# exp: the oracle's expected labels for the template of the block"]
    groups: dict[str, tuple[str, list]] = {_own_template(tokenizer): ("", [])}
    for pipeline in pipelines:
        try:
            masker = pipeline.build(tokenizer)
        except PipelineUnavailable as error:
            lines.append(f"# {pipeline.name}: n/a: {error}")
            continue
        except Exception as error:  # noqa: BLE001 - a library that crashes on this template is a golden fact too
            lines.append(f"# {pipeline.name}: n/a: failed: {_first_line(error)}")
            continue
        lines.append(f"# {pipeline.name}: {pipeline.description}; template: {masker.template_label}")
        label = "" if masker.template == _own_template(tokenizer) else masker.template_label
        groups.setdefault(masker.template, (label, []))[1].append((pipeline, masker))
    with frozen_template_date():
        conversations = golden_conversations(tokenizer)
        outputs = {id(masker): _outputs(masker, conversations) for _, maskers in groups.values() for _, masker in maskers}
        for n, conversation in enumerate(conversations):
            for template, (label, maskers) in groups.items():
                judged = tokenizer
                if label:
                    judged = copy.copy(tokenizer)
                    judged.chat_template = template
                lines += ["", f"{SECTION_PREFIX}{conversation.name}" + (f" · {label}" if label else "")]
                lines += _block(conversation, judged, [(p, outputs[id(m)][n]) for p, m in maskers])
    return "\n".join(lines) + "\n"


def _block(conversation, tokenizer, results) -> list[str]:
    """The rows of one conversation under one template: exp, then each pipeline rendering with that template."""
    from harness.masking.oracle import Expect, OracleError, build_oracle

    if conversation.messages is None:
        return [f"n/a: {conversation.reason}"]
    try:
        oracle = build_oracle(tokenizer, conversation.messages, conversation.tools)
    except OracleError as error:
        return [f"n/a: the oracle cannot label it: {_first_line(error)}"]
    expected_mark = {Expect.TRAIN: TRAINED, Expect.SKIP: NOT_TRAINED, Expect.EITHER: EITHER}
    lines = []
    marks = [[expected_mark[e] for e in oracle.expected]]
    for pipeline, raw in results:
        got, why = _pipeline_marks(raw, oracle, tokenizer)
        if got is None:
            lines.append(f"# {pipeline.name}: n/a here: {why}")
            got = [ABSENT] * len(oracle.input_ids)
        marks.append(got)
    for hazard in oracle.hazards:
        lines.append(f"# hazard [{hazard.kind}] message {hazard.message_index}: {hazard.detail}")
    columns = ["exp"] + [pipeline.name for pipeline, _ in results]
    widths = [max(3, len(c)) for c in columns]
    lines.append(f"{'idx':>5}  {'id':>7}  {'role':<10} " + " ".join(f"{c:^{w}}" for c, w in zip(columns, widths))
                 + "  token")
    roles = oracle.token_roles
    for i, token_id in enumerate(oracle.input_ids):
        a, b = oracle.offsets[i]
        cells = " ".join(f"{column[i]:^{w}}" for column, w in zip(marks, widths))
        lines.append(f"{i:>5}  {token_id:>7}  {roles[i]:<10} {cells}  {_show(oracle.text[a:b])}")
    return lines
