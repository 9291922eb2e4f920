"""Checks of the strategies' keyword-only options: a bad option raises Hypothesis's ``InvalidArgument`` at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis.errors import InvalidArgument

from harness.masking.capabilities import PERMISSIVE, TemplateCapabilities


def check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    """``value`` is an int (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise InvalidArgument(f"{name} must be {bound}, got {value}")


def check_bool(name: str, value: Any) -> None:
    """``value`` is True or False."""
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be True or False, got {value!r}")


def check_control_strings(control_strings: Any) -> tuple[str, ...]:
    """Non-empty strings, duplicates dropped, order kept."""
    if isinstance(control_strings, (str, bytes)) or not isinstance(control_strings, (Sequence, set, frozenset)):
        raise InvalidArgument(f"control_strings must be a sequence of strings, got {control_strings!r}")
    bad = [s for s in control_strings if not isinstance(s, str) or not s]
    if bad:
        raise InvalidArgument(f"control_strings must be non-empty strings, got {bad!r}")
    return tuple(dict.fromkeys(control_strings))  # order kept: the first ones are drawn most often


def check_capabilities(capabilities: Any) -> TemplateCapabilities:
    """A ``TemplateCapabilities``; None is ``PERMISSIVE`` (everything a template can render)."""
    if capabilities is None:
        return PERMISSIVE
    if not isinstance(capabilities, TemplateCapabilities):
        raise InvalidArgument(
            f"capabilities must be a TemplateCapabilities (from probe_template) or None, got {type(capabilities).__name__}"
        )
    return capabilities


def check_tools(tools: Any) -> tuple[dict, ...]:
    """A non-empty sequence of OpenAI function schemas, as a tuple."""
    if isinstance(tools, (str, bytes, dict)) or not isinstance(tools, Sequence) or not tools:
        raise InvalidArgument(f"tools must be a non-empty sequence of OpenAI function schemas, got {tools!r}")
    for tool in tools:
        if not isinstance(tool, dict) or not isinstance(tool.get("function", {}).get("name"), str):
            raise InvalidArgument(f"not an OpenAI function schema: {tool!r}")
    return tuple(tools)
