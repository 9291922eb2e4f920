"""The clock chat templates read, held at one instant: ``strftime_now`` in transformers' jinja environment.

transformers gives every chat template a global ``strftime_now(format)`` that returns
``datetime.now().strftime(format)`` (``transformers.utils.chat_template_utils._compile_jinja_template``); Llama 3.x,
gpt-oss, SmolLM3, Granite, Mistral Small write today's date with it, and a template may write the time to the second.
Two renders of one conversation a second apart then differ, so a check whose oracle and masker render at different
moments reports "text differs" on a correct masker, at random.

``frozen_template_clock(instant)`` holds that clock for a ``with`` block: every template rendered in it, by the
harness or by the masker under test (which calls the tokenizer itself), sees ``instant``. It replaces the
``datetime`` name the compiled templates' ``strftime_now`` looks up at call time (a module global of
``chat_template_utils``), so it holds for templates compiled before the block too, and whichever code path renders.
Blocks nest: an inner block without an instant keeps the outer one's. ``TemplateClock.reads`` counts the reads, so a
check can say whether its template read the clock at all.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass

# The date that templates which print "today" (Llama 3.x, gpt-oss, SmolLM3) see in golden files.
FIXED_DATE = _dt.datetime(2026, 1, 15, 12, 0, 0)

# Modules whose ``datetime`` global a chat template's ``strftime_now`` reads (transformers >= 4.45 compiles templates
# in ``chat_template_utils``).
CLOCK_MODULES = ("transformers.utils.chat_template_utils",)


@dataclass(eq=False)
class TemplateClock:
    """The instant chat templates see while it is held, and how often one read it (``strftime_now`` calls)."""

    instant: _dt.datetime
    reads: int = 0

    @property
    def read(self) -> bool:
        """Whether a chat template read the clock while it was held."""
        return self.reads > 0

    def describe(self) -> str:
        return self.instant.isoformat(sep=" ")


_HELD: list[TemplateClock] = []  # innermost last


def held_template_clock() -> TemplateClock | None:
    """The clock held now (the innermost ``frozen_template_clock`` block), or None when templates read the real one."""
    return _HELD[-1] if _HELD else None


def template_now() -> _dt.datetime:
    """What ``strftime_now`` gives a template now: the held instant, else the real time (not counted as a read)."""
    held = held_template_clock()
    return held.instant if held is not None else _dt.datetime.now()


def current_instant() -> _dt.datetime:
    """The real time to the whole second (the instant a check holds when none is given)."""
    return _dt.datetime.now().replace(microsecond=0)


def _held_datetime(clock: TemplateClock) -> type[_dt.datetime]:
    class HeldDatetime(_dt.datetime):
        """``datetime`` whose ``now()`` is the held instant (what ``strftime_now`` calls)."""

        @classmethod
        def now(cls, tz=None):  # noqa: D102 - datetime.now's signature
            clock.reads += 1
            if tz is None:
                return clock.instant
            return clock.instant.astimezone(tz)  # a naive instant is local time, as datetime.now() gives

        @classmethod
        def today(cls):  # noqa: D102
            return cls.now()

    return HeldDatetime


def _clock_modules() -> list:
    modules = []
    for name in CLOCK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if isinstance(getattr(module, "datetime", None), type) and issubclass(module.datetime, _dt.datetime):
            modules.append(module)
    if not modules:
        import transformers

        raise RuntimeError(
            f"transformers {transformers.__version__}: none of {', '.join(CLOCK_MODULES)} holds the datetime that "
            "chat templates' strftime_now reads, so the harness cannot hold the template clock still"
        )
    return modules


@contextlib.contextmanager
def frozen_template_clock(instant: _dt.datetime | None = None) -> Iterator[TemplateClock]:
    """Hold the clock every chat template reads (``strftime_now``) at ``instant`` for the block; yields the clock.

    ``instant`` defaults to the one already held (an enclosing block), else the real time to the whole second.
    """
    if instant is not None and not isinstance(instant, _dt.datetime):
        raise TypeError(f"the template clock's instant must be a datetime.datetime, got {type(instant).__name__}")
    outer = held_template_clock()
    if instant is None:
        instant = outer.instant if outer is not None else current_instant()
    clock = TemplateClock(instant)
    modules = _clock_modules()
    originals = [module.datetime for module in modules]
    held = _held_datetime(clock)
    for module in modules:
        module.datetime = held
    _HELD.append(clock)
    try:
        yield clock
    finally:
        _HELD.pop()  # blocks exit innermost first
        for module, original in zip(modules, originals):
            module.datetime = original
        if outer is not None:
            outer.reads += clock.reads  # the enclosing block's templates read it too


@contextlib.contextmanager
def frozen_template_date(when: _dt.datetime = FIXED_DATE) -> Iterator[TemplateClock]:
    """Make ``strftime_now`` in every chat template return ``when`` (default ``FIXED_DATE``, for golden files)."""
    with frozen_template_clock(when) as clock:
        yield clock
