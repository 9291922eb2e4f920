"""The ``masking_check`` fixture's logic: check a masker, write replay files, say what failed.

Kept out of the pytest plugin so that loading the plugin stays light (``harness.masking.check`` is imported
only when a test calls the fixture).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any


def active_max_examples() -> int:
    """``max_examples`` of the active Hypothesis settings (the loaded profile)."""
    from hypothesis import settings

    return int(settings.default.max_examples)


def run_masking_check(
    masker,
    tokenizer,
    *,
    replay_dir: str | Path,
    label: str,
    chat_template: str | None = None,
    **options: Any,
):
    """``(report, None)`` when the masker passes, ``(report, message)`` when it fails.

    ``max_examples`` defaults to the active Hypothesis settings. ``check_masker`` writes each failing
    conversation under ``replay_dir`` with the command that replays it; with ``chat_template`` the
    template is written beside it and the command names it. A pass that exercised no tool results
    on a template that renders them fails too: it tested nothing of what breaks multi-turn RL.
    """
    import dataclasses

    from harness.masking.check import check_masker

    if chat_template is not None:
        import copy

        tokenizer = copy.copy(tokenizer)  # the caller's tokenizer keeps its own template
        tokenizer.chat_template = chat_template
    if options.get("max_examples") is None:
        options["max_examples"] = active_max_examples()
    folder = Path(replay_dir) / "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)[:80]
    report = check_masker(masker, tokenizer, replay_dir=folder, **options)
    if chat_template is not None and report.failures:
        template_path = folder / "chat_template.jinja"
        template_path.write_text(chat_template, encoding="utf-8")
        report.failures = [
            dataclasses.replace(f, replay=f"{f.replay} --chat-template {shlex.quote(str(template_path))}") if f.replay else f
            for f in report.failures
        ]
    if not report.passed:
        return report, str(report)
    if report.coverage.gaps:
        return report, (
            f"{report}\n\nthe check exercised no {' and no '.join(report.coverage.gaps)} although the template "
            "renders them: raise max_examples (or the Hypothesis profile's) so that they are tested"
        )
    return report, None
