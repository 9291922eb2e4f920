"""Reading a dataset and converting each row to a conversation ``(messages, tools)`` in OpenAI chat format.

Files: JSONL (``.jsonl``), JSON (a list of rows, or an object holding one list), Parquet (``.parquet``), or a local
``datasets`` folder (``Dataset.save_to_disk``; a ``DatasetDict`` needs ``split``). Row formats, by their keys:

- **OpenAI** (``messages``; ``tools`` optional): messages kept as they are (``content: null`` on an assistant turn
  with ``tool_calls``; ``arguments`` a JSON string or an object, kept as the data holds them); ``tools`` a list of
  ``{"type": "function", "function": {...}}`` or bare function schemas (wrapped), or a JSON string of either.
- **ShareGPT** (``conversations`` of ``{"from", "value"}``, LlamaFactory's ``sharegpt`` formatting): ``system`` (or a
  top-level ``system`` field) -> system; ``human``/``user`` -> user; ``gpt``/``assistant`` -> assistant;
  ``function_call`` -> an assistant turn whose ``value`` is one call ``{"name", "arguments"}`` or a list of calls
  (JSON), each given the id ``call_<row>_<n>``; ``observation``/``tool`` -> a tool message answering the calls of the
  last ``function_call`` in order (its ``tool_call_id`` and ``name``; a JSON list value answers several calls
  at once); ``tools`` a JSON string (or list) of function schemas.

A row that cannot be converted is kept as a ``DatasetRow`` with ``error`` set (its index and the reason), never
skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ID_FIELDS = ("id", "row_id", "conversation_id", "uuid")
SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "function_call": "assistant", "observation": "tool", "tool": "tool"}


class DatasetError(ValueError):
    """A dataset that cannot be read at all (a missing file, an unknown format): the command's exit status 2."""


class RowConversionError(ValueError):
    """One row that cannot be converted (reported with its index, the rest go on)."""


@dataclass(frozen=True)
class DatasetRow:
    index: int  # position in the dataset, from 0
    id: str  # the row's own id field when it has one, else its index
    messages: list[dict] = field(default_factory=list)
    tools: list[dict] | None = None
    format: str = ""  # "openai" | "sharegpt"
    error: str = ""  # why the row could not be converted ("" when it was)

    def to_json(self) -> dict:
        return {"index": self.index, "id": self.id, "messages": self.messages, "tools": self.tools,
                "format": self.format, "error": self.error}

    @classmethod
    def from_json(cls, data: Mapping) -> DatasetRow:
        return cls(**dict(data))


def read_records(path: str | Path, *, split: str | None = None) -> list[Any]:
    """The raw rows of a JSONL, JSON, Parquet file or a local ``datasets`` folder."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if path.is_dir():
        return _datasets_folder(path, split)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DatasetError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from None
        return pq.read_table(path).to_pylist()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot be read: {error}") from None
    if suffix == ".jsonl" or (suffix != ".json" and not text.lstrip().startswith(("[", "{\n"))):
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}: line {number} is not JSON: {error.msg} (column {error.colno})") from None
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        lists = [key for key, value in data.items() if isinstance(value, list)]
        if len(lists) == 1:
            return data[lists[0]]
    raise DatasetError(f"{path}: a JSON dataset is a list of rows (or an object holding exactly one list)")


def _datasets_folder(path: Path, split: str | None) -> list[Any]:
    from harness.adapters.trl.dataset_files import DatasetFolderError, rows_of_saved_dataset

    try:
        return rows_of_saved_dataset(path, split)
    except DatasetFolderError as error:
        raise DatasetError(str(error)) from None


def read_dataset(path: str | Path, *, split: str | None = None, limit: int | None = None) -> list[DatasetRow]:
    """Every row of the dataset at ``path``, converted (``limit``: the first rows only)."""
    records = read_records(path, split=split)
    if limit is not None:
        records = records[:limit]
    return [convert_row(record, index) for index, record in enumerate(records)]


def convert_row(record: Any, index: int) -> DatasetRow:
    """One raw row as a ``DatasetRow`` (``error`` set when it cannot be converted)."""
    row_id = str(index)
    if isinstance(record, Mapping):
        for key in ID_FIELDS:
            if isinstance(record.get(key), (str, int)) and not isinstance(record.get(key), bool):
                row_id = str(record[key])
                break
    try:
        if not isinstance(record, Mapping):
            raise RowConversionError(f"a row is a JSON object, got {type(record).__name__}")
        if "messages" in record:
            messages, tools, kind = _openai(record), _tools(record.get("tools")), "openai"
        elif "conversations" in record:
            (messages, tools), kind = _sharegpt(record, index), "sharegpt"
        else:
            raise RowConversionError(f"neither 'messages' (OpenAI) nor 'conversations' (ShareGPT); keys: "
                                     f"{sorted(record)[:10]}")
    except RowConversionError as error:
        return DatasetRow(index, row_id, error=str(error))
    return DatasetRow(index, row_id, messages, tools, kind)


def _openai(record: Mapping) -> list[dict]:
    messages = record["messages"]
    if isinstance(messages, str):
        messages = _json(messages, "messages")
    if not isinstance(messages, list) or not all(isinstance(m, Mapping) for m in messages):
        raise RowConversionError("'messages' must be a list of objects")
    out = []
    for message in messages:
        message = dict(message)
        if message.get("role") == "function":  # the legacy OpenAI role for tool results
            message["role"] = "tool"
        if isinstance(message.get("tool_calls"), list) and not message["tool_calls"]:
            message.pop("tool_calls")
        elif message.get("tool_calls") is None:
            message.pop("tool_calls", None)
        out.append(message)
    return out


def _tools(tools: Any) -> list[dict] | None:
    if tools is None or tools == "" or tools == []:
        return None
    if isinstance(tools, str):
        tools = _json(tools, "tools")
    if not isinstance(tools, list):
        raise RowConversionError(f"'tools' must be a list of function schemas (or its JSON), got {type(tools).__name__}")
    wrapped = []
    for position, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise RowConversionError(f"tools[{position}] is not an object")
        if isinstance(tool.get("function"), Mapping):
            wrapped.append(dict(tool))
        elif isinstance(tool.get("name"), str):
            wrapped.append({"type": "function", "function": dict(tool)})
        else:
            raise RowConversionError(f"tools[{position}] is neither {{'type': 'function', 'function': ...}} nor a "
                                     f"function schema with a name")
    return wrapped


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RowConversionError(f"{what} is a string but not JSON: {error.msg}") from None


def _sharegpt(record: Mapping, index: int) -> tuple[list[dict], list[dict] | None]:
    turns = record["conversations"]
    if not isinstance(turns, list):
        raise RowConversionError("'conversations' must be a list of {from, value} objects")
    messages: list[dict] = []
    if isinstance(record.get("system"), str) and record["system"]:
        messages.append({"role": "system", "content": record["system"]})
    pending: list[dict] = []  # the last function_call's calls, answered in order by observations
    calls_made = 0
    for position, turn in enumerate(turns):
        if not isinstance(turn, Mapping) or "from" not in turn or "value" not in turn:
            raise RowConversionError(f"conversations[{position}] is not a {{from, value}} object")
        source, value = turn["from"], turn["value"]
        role = SHAREGPT_ROLES.get(source)
        if role is None:
            raise RowConversionError(f"conversations[{position}]: unknown 'from' {source!r} (known: "
                                     f"{sorted(SHAREGPT_ROLES)})")
        if not isinstance(value, str):
            raise RowConversionError(f"conversations[{position}]: 'value' must be a string")
        if source == "function_call":
            parsed = _json(value, f"conversations[{position}] (function_call)")
            calls = parsed if isinstance(parsed, list) else [parsed]
            pending = []
            for call in calls:
                if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
                    raise RowConversionError(f"conversations[{position}]: a function_call is {{name, arguments}}, "
                                             f"got {value[:80]!r}")
                pending.append({"id": f"call_{index}_{calls_made}", "type": "function",
                                "function": {"name": call["name"], "arguments": call.get("arguments", {})}})
                calls_made += 1
            messages.append({"role": "assistant", "content": "", "tool_calls": list(pending)})
        elif role == "tool":
            results = _observation_values(value, len(pending))
            for result in results:
                if not pending:
                    raise RowConversionError(f"conversations[{position}]: an observation answers no function_call")
                call = pending.pop(0)
                messages.append({"role": "tool", "tool_call_id": call["id"], "name": call["function"]["name"],
                                 "content": result})
        else:
            messages.append({"role": role, "content": value})
    return messages, _tools(record.get("tools"))


def _observation_values(value: str, pending: int) -> list[str]:
    """One observation's results: a JSON list answering several pending calls at once, else the value itself."""
    if pending > 1:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return [value]
        if isinstance(parsed, list) and len(parsed) == pending:
            return [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in parsed]
    return [value]


def rows_from(conversations: Sequence[Mapping]) -> list[DatasetRow]:
    """``DatasetRow``s of in-memory rows (OpenAI or ShareGPT dicts): what the pytest fixture audits."""
    return [convert_row(record, index) for index, record in enumerate(conversations)]


