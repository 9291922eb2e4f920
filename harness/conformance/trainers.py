"""The trainer adapters the conformance table covers, and how ``--trainer`` selects them.

Each entry names an adapter package (``harness/adapters/<trainer>/``) whose ``ENVIRONMENT`` says which release it
runs and whose ``CONFIGURATIONS`` (``spec.Configuration``, "defaults" first; just the defaults where it declares
none) the rows of the table; importing it imports nothing of the trainer. An adapter that is not there (yet) is left
out with a reason.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from harness.conformance.spec import Configuration, TrainerEnvironment

DEFAULTS = Configuration("defaults", {}, "the trainer's defaults")

ADAPTERS: dict[str, str] = {
    "axolotl": "harness.adapters.axolotl",
    "llamafactory": "harness.adapters.llamafactory",
    "openrlhf": "harness.adapters.openrlhf",
    "skyrl": "harness.adapters.skyrl",
    "unsloth": "harness.adapters.unsloth",
    "verl": "harness.adapters.verl",
}


class TrainerSelectionError(ValueError):
    """A --trainer that names no adapter, or a release no adapter runs."""


@dataclass(frozen=True)
class Trainer:
    module: str  # the adapter package
    environment: TrainerEnvironment
    configurations: tuple[Configuration, ...] = (DEFAULTS,)

    @property
    def label(self) -> str:
        return self.environment.label

    @property
    def adapter(self) -> str:
        """The adapter folder (``harness/adapters/<adapter>/``): where its findings.toml lives."""
        return self.module.rsplit(".", 1)[-1]


def configurations_of(adapter) -> tuple[Configuration, ...]:
    """The adapter module's ``CONFIGURATIONS`` (just the defaults where it declares none); ValueError naming what is
    wrong where they are malformed."""
    name = getattr(adapter, "__name__", "the adapter")
    configurations = getattr(adapter, "CONFIGURATIONS", None)
    if configurations is None:
        return (DEFAULTS,)
    if not isinstance(configurations, tuple) or not configurations:
        raise ValueError(f"{name}.CONFIGURATIONS must be a non-empty tuple of Configuration, got {configurations!r:.200}")
    bad = [c for c in configurations if not isinstance(c, Configuration)]
    if bad:
        raise ValueError(f"{name}.CONFIGURATIONS: not a Configuration: {bad!r:.200}")
    if configurations[0].name != "defaults":
        raise ValueError(f"{name}.CONFIGURATIONS must start with the defaults (name 'defaults'), got "
                         f"{configurations[0].name!r}")
    names = [c.name for c in configurations]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{name}.CONFIGURATIONS: names {twice} appear more than once")
    return configurations


def not_documented_for(configuration: Configuration, template: str) -> str | None:
    """The n/a reason of a configuration on a template it is not documented for (None where it applies)."""
    if configuration.applies_to(template):
        return None
    return f"configuration documented for {', '.join(configuration.templates)}"


def load_trainer(name: str) -> Trainer | str:
    """The adapter of trainer ``name``, or the reason it cannot be loaded."""
    module = ADAPTERS[name]
    try:
        adapter = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            return f"no adapter {module}"
        raise
    environment = getattr(adapter, "ENVIRONMENT", None)
    if not isinstance(environment, TrainerEnvironment):
        return f"{module}.ENVIRONMENT is not a TrainerEnvironment"
    try:
        configurations = configurations_of(adapter)
    except ValueError as error:
        return str(error)
    return Trainer(module, environment, configurations)


def select_trainers(specs: list[str] | None, *, log=print) -> list[Trainer]:
    """The trainers ``specs`` name (``axolotl`` or ``axolotl==0.21.0``), default every adapter present."""
    chosen = []
    for spec in specs or list(ADAPTERS):
        name, _, release = spec.partition("==")
        name = name.strip().lower()
        if name not in ADAPTERS:
            raise TrainerSelectionError(f"--trainer {spec!r}: no adapter for {name!r}; known: {sorted(ADAPTERS)}")
        trainer = load_trainer(name)
        if isinstance(trainer, str):
            if specs:
                raise TrainerSelectionError(f"--trainer {spec!r}: {trainer}")
            log(f"[{name}] left out: {trainer}")
            continue
        if release and release.strip() != trainer.environment.release:
            raise TrainerSelectionError(f"--trainer {spec!r}: the adapter runs {trainer.label}, not release {release}")
        chosen.append(trainer)
    return chosen


def default_templates() -> list[str]:
    """Every tokenizer name the harness knows (its registry) or finds (the tokenizer folders)."""
    from harness.assets.tokenizers import KNOWN_HUB_IDS, available_tokenizers

    return sorted(set(KNOWN_HUB_IDS) | set(available_tokenizers()))
