"""``python -m harness survey [NAMES]``: one table of what each chat template does, and how often the oracle refuses it.

Per template (a corpus name, a shared tokenizer folder, or a path): what rendering shows (``behaviours``: prefix
stability by transition, where the assistant header sits, stop tokens, the tool-result role, earlier reasoning kept
or dropped), what the probe adapted (``harness.masking.template_probe``), and the share of random conversations the
oracle refuses (``refusals``). Templates that print today's date see a fixed one.
"""

from __future__ import annotations

from harness.survey.rows import SurveyRow, survey, survey_row
from harness.survey.table import survey_table

__all__ = ["SurveyRow", "survey", "survey_row", "survey_table"]
