"""Replay files: a failing conversation written whole, with the command that shows it again.

A failure's conversation in a report is the shrunk one Hypothesis found; the report prints it
cut short for reading. The replay file holds it in full (``{"messages", "tools", ...}``, the
format ``python -m harness inspect`` reads), so the failure can be replayed token by token. Where the chat template
reads the clock (``strftime_now``), the file holds the instant the check rendered at (``"clock"``, ISO 8601), and
``inspect`` renders at it again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def replay_command(path: str | Path, tokenizer: str, *, masker: str | None = None, turns: str = "all") -> str:
    """The shell command that shows the conversation in ``path`` token by token."""
    parts = ["python", "-m", "harness", "inspect", "--tokenizer", tokenizer, str(path)]
    if masker:
        parts += ["--masker", masker]
    if turns != "all":
        parts += ["--turns", turns]
    return " ".join(shlex.quote(part) for part in parts)


def write_replay(
    directory: str | Path,
    *,
    tokenizer: str,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    label: str = "conversation",
    template_kwargs: Mapping[str, Any] | None = None,
    policy: Mapping[str, Any] | None = None,
    clock: datetime.datetime | None = None,
) -> Path:
    """Write the conversation as ``<directory>/<label>-<hash>.json`` and return the path.

    The name's hash is of the content, so writing the same failure twice gives one file. ``clock``: the instant the
    chat template read during the check (recorded so that a replay renders the same text).
    """
    data: dict[str, Any] = {"messages": [dict(m) for m in messages], "tools": [dict(t) for t in tools] if tools else None}
    if template_kwargs:
        data["template_kwargs"] = dict(template_kwargs)
    if policy:
        data["policy"] = dict(policy)
    if clock is not None:
        data["clock"] = clock.isoformat()
    data["tokenizer"] = tokenizer
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    safe_label = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)[:60] or "conversation"
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_label}-{digest}.json"
    path.write_text(text + "\n", encoding="utf-8")
    return path


class ReplayClockError(ValueError):
    """A replay file's ``"clock"`` is not an ISO 8601 date and time."""


def recorded_clock(data: Mapping[str, Any]) -> datetime.datetime | None:
    """The instant a replay file's conversation was rendered at (its ``"clock"``), or None when it records none."""
    value = data.get("clock") if isinstance(data, Mapping) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReplayClockError(f"'clock' must be an ISO 8601 date and time string, got {type(value).__name__} {value!r}")
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ReplayClockError(f"'clock' is not an ISO 8601 date and time: {value!r}") from None
