"""Tools: ``TOOL_SCHEMAS`` (OpenAI function tools with nested JSON parameters), ``tool_schemas()``,
``tool_arguments()`` (JSON objects) and ``tool_calls()`` (OpenAI tool calls with ids)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

# Defined beside the template probe, which renders them too; the strategies draw from them.
from harness.masking.tool_schemas import TOOL_SCHEMAS
from harness.strategies.options import check_bool, check_int, check_tools
from harness.strategies.text import texts

__all__ = ["TOOL_SCHEMAS", "tool_arguments", "tool_calls", "tool_schemas"]


def tool_schemas(*, max_size: int = len(TOOL_SCHEMAS)) -> st.SearchStrategy[list[dict]]:
    """A non-empty list of distinct schemas from ``TOOL_SCHEMAS`` (OpenAI function tools, nested JSON parameters)."""
    check_int("max_size", max_size, 1)
    return st.lists(st.sampled_from(range(len(TOOL_SCHEMAS))), min_size=1, max_size=max_size, unique=True).map(
        lambda idx: [TOOL_SCHEMAS[i] for i in sorted(idx)]
    )


_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(lambda k: k[0] != "_")


def tool_arguments(*, max_depth: int = 2, max_keys: int = 3, hard_text: bool = False) -> st.SearchStrategy[dict]:
    """A JSON object of tool-call arguments: simple identifier keys; values null, bools, numbers,
    strings, and lists/objects nested up to ``max_depth`` levels."""
    check_int("max_depth", max_depth, 0, 5)
    check_int("max_keys", max_keys, 0)
    check_bool("hard_text", hard_text)
    return _tool_arguments(max_depth, max_keys, hard_text)


@functools.lru_cache(maxsize=64)
def _tool_arguments(max_depth: int, max_keys: int, hard_text: bool) -> st.SearchStrategy[dict]:
    scalar = st.one_of(
        texts(max_size=60, hard=hard_text),
        st.integers(-1000, 1000),
        st.booleans(),
        st.none(),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)),
    )
    value = scalar
    for _ in range(max_depth):
        inner = value
        value = st.one_of(
            scalar,
            st.lists(inner, max_size=3),
            st.dictionaries(_KEY, inner, max_size=max_keys),
        )
    return st.dictionaries(_KEY, value, max_size=max_keys)


def tool_calls(
    *,
    tools: Sequence[dict] = TOOL_SCHEMAS,
    max_calls: int = 1,
    first_id: int = 1,
    id_format: str = "call_{:04d}",
    hard_text: bool = False,
) -> st.SearchStrategy[list[dict]]:
    """1..``max_calls`` OpenAI tool calls to ``tools`` with nested-JSON dict arguments and ids
    ``id_format.format(first_id)``, ``id_format.format(first_id + 1)`` ..."""
    tools = check_tools(tools)
    check_int("max_calls", max_calls, 1)
    check_int("first_id", first_id, 0)
    check_bool("hard_text", hard_text)
    try:
        distinct = id_format.format(0) != id_format.format(1)
    except (AttributeError, IndexError, KeyError, ValueError):
        distinct = False
    if not distinct:
        raise InvalidArgument(f"id_format must be a str.format pattern with one field, got {id_format!r}")
    return _tool_calls(tools, max_calls, first_id, id_format, hard_text)


@st.composite
def _tool_calls(draw, tools, max_calls, first_id, id_format, hard_text) -> list[dict]:
    count = draw(st.integers(1, max_calls))
    calls = []
    for k in range(count):
        name = draw(st.sampled_from([t["function"]["name"] for t in tools]))
        arguments = draw(tool_arguments(hard_text=hard_text))
        calls.append({"id": id_format.format(first_id + k), "type": "function", "function": {"name": name, "arguments": arguments}})
    return calls
