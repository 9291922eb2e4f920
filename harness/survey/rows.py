"""One survey row per template: its behaviours, what the probe adapted, and the oracle's refusal rate."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from harness.survey.behaviours import Behaviours, survey_behaviours
from harness.survey.refusals import Refusals, refusals, sample_conversations


@dataclass
class SurveyRow:
    """A template's row; ``error`` says why the rest is empty (no base vocabulary, nothing renders ...)."""

    name: str
    family: str = ""
    vocabulary: str = ""
    behaviours: Behaviours = field(default_factory=Behaviours)
    adapted: list[str] = field(default_factory=list)
    refusals: Refusals | None = None
    error: str | None = None


# Capability fields shown by their own phrase (below); any other field that differs from the permissive default is
# shown as ``field=value``, so fields the probe learns later appear without changes here.
_SHOWN = {"system_role", "multi_turn", "requires_alternation", "tools", "parallel_calls", "tool_call_content",
          "tool_call_id", "text_tool_calls", "tool_call_tag", "tools_required", "tool_shape", "adapted", "errors",
          "tool_results", "reasoning_field", "reasoning_with_tool_calls", "consecutive_tool_messages",
          "multi_step_tools", "tool_call_text", "empty_answers", "repeated_user_texts"}


def adapted_phrases(capabilities) -> list[str]:
    """What the probe found the template needs, short: tools required, schema shape, arguments, content, ids ..."""
    from harness.masking.capabilities import PERMISSIVE

    c = capabilities
    out = []
    if c.tools_required:
        out.append("tools required")
    if c.tool_shape.schema != "as given":
        out.append("descriptions required")
    if c.tool_shape.arguments_json:
        out.append("arguments as JSON string")
    if not c.tools:
        out.append(f"calls as text <{c.tool_call_tag}>" if c.text_tool_calls and c.tool_call_tag else
                   "calls as text" if c.text_tool_calls else "no tool calls")
    else:
        if c.tool_call_content is not None:
            out.append(f"call content {c.tool_call_content!r}")
        if c.tool_call_id != PERMISSIVE.tool_call_id:
            out.append(f"ids {c.make_tool_call_id(1)}")
        if not c.parallel_calls:
            out.append("no parallel calls")
    if c.requires_alternation:
        out.append("roles alternate")
    if not c.system_role:
        out.append("no system")
    if not c.multi_turn:
        out.append("single turn")
    if not c.empty_answers:
        out.append("answers non-empty")
    if not c.repeated_user_texts:
        out.append("user texts distinct")
    for f in fields(c):
        if f.name not in _SHOWN and getattr(c, f.name) != getattr(PERMISSIVE, f.name):
            out.append(f"{f.name}={getattr(c, f.name)!r}")
    return out


def survey_row(name: str, *, examples: int = 20, seed: int = 0) -> SurveyRow:
    """The survey row of ``name`` (a corpus template, a tokenizer folder name, or a folder path)."""
    from harness.adapters.transformers import frozen_template_date, load_tokenizer
    from harness.assets.template_corpus import corpus_template
    from harness.masking.template_probe import probe_template

    template = corpus_template(name)
    row = SurveyRow(name, family=template.family if template else "shared tokenizer",
                    vocabulary=f"{template.vocabulary} ({template.vocabulary_match})" if template else name)
    try:
        tokenizer = load_tokenizer(name)
    except LookupError as error:
        row.error = f"not loaded: {error}"
        return row
    with frozen_template_date():
        try:
            capabilities = probe_template(tokenizer)
        except Exception as error:  # the probe's own error names every shape it tried
            row.error = f"probe: {type(error).__name__}: {str(error).splitlines()[0]}"
            return row
        row.adapted = adapted_phrases(capabilities)
        row.behaviours = survey_behaviours(tokenizer, capabilities)
        row.refusals = refusals(tokenizer, sample_conversations(tokenizer, examples, seed=seed))
    return row


def survey(names: list[str], *, examples: int = 20, seed: int = 0, progress=None) -> list[SurveyRow]:
    """Rows for ``names``, in order; ``progress(row)`` is called after each."""
    rows = []
    for name in names:
        rows.append(survey_row(name, examples=examples, seed=seed))
        if progress is not None:
            progress(rows[-1])
    return rows
