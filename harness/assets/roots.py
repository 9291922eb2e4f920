"""The folders searched for test assets (tokenizers, data): the setting, then ``../shared/<kind>``."""

from __future__ import annotations

import os
from pathlib import Path


def search_roots(env_var: str, kind: str) -> list[Path]:
    """``$env_var`` (when set), then ``../shared/<kind>`` relative to the current directory, then
    relative to the repository that holds this package (the layout of this project's CI)."""
    roots: list[Path] = []
    if os.environ.get(env_var):
        roots.append(Path(os.environ[env_var]).expanduser())
    roots.append(Path.cwd().parent / "shared" / kind)
    roots.append(Path(__file__).resolve().parent.parent.parent.parent / "shared" / kind)
    return list(dict.fromkeys(roots))
