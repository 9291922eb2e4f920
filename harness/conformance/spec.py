"""What a trainer adapter declares about the environment its data path runs in.

Each ``harness/adapters/<trainer>/`` package holds one ``ENVIRONMENT`` (a ``TrainerEnvironment``), plain data
that imports nothing of the trainer: the conformance runner builds (or reuses) one cached ``uv`` environment per
trainer release from it, over the running environment's torch, and runs the adapter's masker there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


def _normalize(requirement: str) -> str:
    """A requirement with its distribution name normalized (PEP 503: ``unsloth_zoo`` = ``unsloth-zoo``)."""
    name, sep, rest = requirement.partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + sep + rest


@dataclass(frozen=True)
class TrainerEnvironment:
    trainer: str  # the PyPI distribution, e.g. "axolotl"
    release: str  # its version, e.g. "0.21.0"
    # Installed with --no-deps into the trainer's environment: the trainer itself, a transformers release it accepts,
    # and whatever its data path imports that the running environment lacks (or has at a version it refuses).
    requirements: tuple[str, ...]
    # The Python version wheels are chosen for (uv's --python-version): some wheels declare a higher floor than their
    # data path needs. The environment always runs the running interpreter (it shares its compiled packages).
    python: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)  # environment variables the data path needs at import

    @property
    def label(self) -> str:
        return f"{self.trainer}=={self.release}"

    def __post_init__(self) -> None:
        for name in ("trainer", "release"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
                raise ValueError(f"TrainerEnvironment.{name} must be a non-empty word, got {value!r}")
        if isinstance(self.requirements, str) or not all(isinstance(r, str) and r.strip() for r in self.requirements):
            raise ValueError(f"TrainerEnvironment.requirements must be a tuple of requirement strings, "
                             f"got {self.requirements!r}")
        pinned = f"{_normalize(self.trainer)}=={self.release}"
        if not any(_normalize(r.replace(" ", "").split(";")[0]) == pinned for r in self.requirements):
            raise ValueError(f"{self.label}: requirements must pin the trainer itself ({self.label}), "
                             f"got {list(self.requirements)}")
        if self.python is not None and not (isinstance(self.python, str) and self.python.replace(".", "").isdigit()):
            raise ValueError(f"TrainerEnvironment.python must be a version like '3.12' or None, got {self.python!r}")


@dataclass(frozen=True)
class Configuration:
    """One configuration of a trainer's data path that its documentation recommends: a row of the conformance table.

    ``options`` are passed to the adapter's ``masker(tokenizer, **options)`` (JSON values: they cross to the
    trainer's environment as ``--options``); ``documented`` says where the trainer documents them (the page or the
    file at the pinned release); ``templates`` limits the row to the template families it is documented for (empty:
    every template). The adapter's ``CONFIGURATIONS`` tuple starts with ``Configuration("defaults", {}, ...)``.
    """

    name: str  # the row's label beside the trainer: "defaults", "eot_tokens", "force_match=False"
    options: Mapping[str, object]
    documented: str
    templates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        import json

        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"Configuration.name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.options, Mapping):
            raise ValueError(f"Configuration {self.name!r}: options must be a mapping, got {type(self.options).__name__}")
        try:
            json.dumps(dict(self.options))
        except TypeError as error:
            raise ValueError(f"Configuration {self.name!r}: options must be JSON values ({error})") from None
        if not isinstance(self.documented, str) or not self.documented.strip():
            raise ValueError(f"Configuration {self.name!r}: say where the trainer documents it (documented=...)")
        if isinstance(self.templates, str) or not all(isinstance(t, str) and t for t in self.templates):
            raise ValueError(f"Configuration {self.name!r}: templates must be a tuple of template names, "
                             f"got {self.templates!r}")

    def applies_to(self, template: str) -> bool:
        return not self.templates or template in self.templates
