"""The survey as one Markdown table (readable in a terminal, pasteable in a report), with its legend."""

from __future__ import annotations

from harness.survey.rows import SurveyRow

LEGEND = (
    "transitions: rendering one more message only appends (✓), rewrites what came before (✗), or the shorter prefix "
    "raises (!); s system, u user, a answer, a* tool-call turn, t tool result, gp→a the generation prompt is a prefix "
    "of the rendered answer. header: what the generation prompt adds; 'previous turn' when it adds nothing, "
    "'(always open)' when a rendering already ends with it. stops: the stop token the oracle finds after an answer "
    "and after a tool call ('none': the turn has none; GLM's model stops by writing the next header). tool result: "
    "the role word of the header before a tool result, and the text just before it. "
    "refused: share of random conversations (conversations_for) the oracle refuses, and why."
)
_COLUMNS = ["template", "vocabulary", "header", "transitions", "stops", "tool result", "earlier reasoning",
            "probe adapted", "refused"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _refused(row: SurveyRow) -> str:
    r = row.refusals
    if r is None:
        return "-"
    text = f"{100 * r.rate:.0f}% ({len(r.refused)}/{r.total})"
    reasons = r.reasons(1)
    return f"{text} {reasons[0][:90]}" if reasons else text


def survey_table(rows: list[SurveyRow]) -> str:
    """One Markdown row per template, after a header and before the legend."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for row in rows:
        if row.error:
            cells = [row.name, row.vocabulary, row.error] + [""] * (len(_COLUMNS) - 3)
        else:
            b = row.behaviours
            cells = [row.name, row.vocabulary, b.header, b.transitions_text(), b.stops, b.tool_role, b.reasoning,
                     ", ".join(row.adapted) or "nothing", _refused(row)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n\n" + LEGEND
