"""The ``masking_check`` fixture's logic: check a masker, write replay files, say what failed.

Kept out of the pytest plugin so that loading the plugin stays light (``harness.check`` is imported
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

    ``max_examples`` defaults to the active Hypothesis settings. Each failing conversation is written
    under ``replay_dir`` (``harness.replay.write_replay``); the message is ``str(report)`` followed by the
    replay file and the command that shows it token by token.
    """
    from harness.check import check_masker
    from harness.replay import replay_command, write_replay

    if chat_template is not None:
        import copy

        tokenizer = copy.copy(tokenizer)  # the caller's tokenizer keeps its own template
        tokenizer.chat_template = chat_template
    if options.get("max_examples") is None:
        options["max_examples"] = active_max_examples()
    report = check_masker(masker, tokenizer, **options)
    if report.passed:
        return report, None
    name = str(getattr(tokenizer, "name_or_path", "tokenizer"))
    policy = options.get("policy")
    turns = getattr(policy, "turns", "all")
    lines = []
    for failure in report.failures:
        path = write_replay(
            replay_dir, tokenizer=name, messages=failure.messages, tools=failure.tools,
            label=f"{label}-{failure.property}", template_kwargs=options.get("template_kwargs"),
        )
        command = replay_command(path, name, turns=turns)
        if chat_template is not None:
            template_path = path.with_suffix(".jinja")
            template_path.write_text(chat_template, encoding="utf-8")
            command += " --chat-template " + shlex.quote(str(template_path))
        lines.append(f"replay [{failure.property}]: {path}\n  {command}")
    return report, f"{report}\n\n" + "\n".join(lines)
