"""What a trainer adapter declares about the environment its data path runs in.

Each ``harness/adapters/<trainer>/`` package holds one ``ENVIRONMENT`` (a ``TrainerEnvironment``), plain data
that imports nothing of the trainer: the conformance runner builds (or reuses) one cached ``uv`` environment per
trainer release from it, over the running environment's torch, and runs the adapter's masker there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrainerEnvironment:
    trainer: str  # the PyPI distribution, e.g. "axolotl"
    release: str  # its version, e.g. "0.21.0"
    # Installed with --no-deps into the trainer's environment: the trainer itself, a transformers release it accepts,
    # and whatever its data path imports that the running environment lacks (or has at a version it refuses).
    requirements: tuple[str, ...]
    python: str = "3.11"  # the data path's interpreter (some wheels declare a higher floor than the code needs)
    env: Mapping[str, str] = field(default_factory=dict)  # environment variables the data path needs at import

    @property
    def label(self) -> str:
        return f"{self.trainer}=={self.release}"
