"""trl's dataset layer (the ``datasets`` library), read here in trl's adapter: the rows of a local ``datasets``
folder (``Dataset.save_to_disk``) for the dataset audit, and what a dataset built as trl documents for tool calls
does to a call's arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class DatasetFolderError(ValueError):
    """A folder that is not a saved dataset, or a split that is not there."""


def rows_of_saved_dataset(path: str | Path, split: str | None = None) -> list[Any]:
    """The rows (dicts) of the dataset saved at ``path``; a ``DatasetDict`` needs ``split``."""
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        data = load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as error:
        raise DatasetFolderError(f"{path}: not a folder written by datasets' save_to_disk: {error}") from None
    if isinstance(data, DatasetDict):
        if split is None:
            raise DatasetFolderError(f"{path}: holds splits {sorted(data)}; choose one with --split")
        if split not in data:
            raise DatasetFolderError(f"{path}: no split {split!r} (it has {sorted(data)})")
        data = data[split]
    if not isinstance(data, Dataset):
        raise DatasetFolderError(f"{path}: holds a {type(data).__name__}, not a Dataset")
    return data.to_list()


def json_typed_round_trip(arguments: dict) -> dict:
    """``arguments`` of one tool call after a dataset built as trl documents for tool calls
    (``Dataset.from_list(rows, on_mixed_types="use_json")``): what trl's SFT data path will render."""
    from datasets import Dataset

    def row(value):
        return {"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": value}}]}]}

    dataset = Dataset.from_list([row(arguments), row({"other": "x"})], on_mixed_types="use_json")
    return dataset[0]["messages"][0]["tool_calls"][0]["function"]["arguments"]


def in_memory_dataset(rows: list[dict]):
    """``datasets.Dataset.from_list(rows)``, with datasets' progress bars off: the ``Dataset`` a trainer's data path
    takes (axolotl's packing), built where the harness imports datasets."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    return Dataset.from_list(list(rows))
