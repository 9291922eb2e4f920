"""What a trainer adapter declares about its training steps: one ``LossConfiguration`` per row of the trainer x
configuration x property table of the check at the loss (``harness.loss.table``).

Each adapter package that has a training step (``harness/adapters/<lib>/``) lists ``LOSS_CONFIGURATIONS``, plain
data that imports nothing of the trainer: ``step`` names the factory (``"module:function"``) that builds the step
as ``factory(tokenizer, **options)``; ``normalization`` (``harness.loss.step``) is what the trainer documents for
that configuration, and ``documented`` says where; ``check`` holds the ``check_training_step`` options the row needs
(``conversations_per_step``, ``tools``...). ``known`` names the findings (``findings.toml`` slugs) that account for a
row's failures; ``cannot`` says why a documented configuration has no step here (it shows as ``n/a`` with the reason).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.loss.step import NORMALIZATIONS


@dataclass(frozen=True)
class LossConfiguration:
    name: str  # the row's label beside the trainer: "assistant_only_loss", "packing=bfd", "loss_type=dr_grpo"
    step: str  # "module:function", the factory: factory(tokenizer, **options) -> step
    normalization: str  # one of harness.loss.step.NORMALIZATIONS
    documented: str  # where the trainer documents the configuration and its normalisation
    options: Mapping[str, object] = field(default_factory=dict)
    length: int | None = None  # the constant of normalization="fixed_length"
    check: Mapping[str, object] = field(default_factory=dict)  # check_training_step options for the row
    known: tuple[str, ...] = ()  # findings.toml slugs accounting for the row's failures
    cannot: str = ""  # non-empty: the configuration cannot run here, and why

    def __post_init__(self) -> None:
        where = f"LossConfiguration {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"LossConfiguration.name must be a non-empty string, got {self.name!r}")
        module, sep, function = str(self.step).partition(":")
        if not sep or not module or not function.isidentifier():
            raise ValueError(f"{where}: step must be 'module:function', got {self.step!r}")
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"{where}: normalization must be one of {NORMALIZATIONS}, got {self.normalization!r}")
        if self.normalization == "fixed_length" and not (isinstance(self.length, int) and self.length > 0):
            raise ValueError(f"{where}: normalization 'fixed_length' needs length, a positive int")
        if not isinstance(self.documented, str) or not self.documented.strip():
            raise ValueError(f"{where}: say where the trainer documents it (documented=...)")
        for name in ("options", "check"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise ValueError(f"{where}: {name} must be a mapping, got {type(value).__name__}")
            try:
                json.dumps(dict(value))
            except TypeError as error:
                raise ValueError(f"{where}: {name} must hold JSON values ({error})") from None
        if isinstance(self.known, str) or not all(isinstance(k, str) and k for k in self.known):
            raise ValueError(f"{where}: known must be a tuple of finding slugs, got {self.known!r}")

    def build(self, tokenizer):
        """The step: ``factory(tokenizer, **options)``, with this row's documented normalisation attached."""
        import importlib

        module, _, function = self.step.partition(":")
        step = getattr(importlib.import_module(module), function)(tokenizer, **dict(self.options))
        step.normalization = self.normalization
        if self.length is not None:
            step.normalization_length = self.length
        return step
