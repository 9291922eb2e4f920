"""JSON summaries of evaluation jobs in the report dir (the ``harness_report_dir`` fixture)."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path


def write_summary(report_dir: str | Path, job: str, summary: dict) -> Path:
    """Write ``summary`` (plus the job name and a UTC timestamp) to ``report_dir/<job>.json``."""
    path = Path(report_dir) / f"{job}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"job": job, "written_at": _dt.datetime.now(_dt.timezone.utc).isoformat(), **summary}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path
