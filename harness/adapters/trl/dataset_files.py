"""Rows of a local ``datasets`` folder (``Dataset.save_to_disk``), for the dataset audit: the ``datasets`` library is
trl's dataset layer, so it is read here, in trl's adapter."""

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
