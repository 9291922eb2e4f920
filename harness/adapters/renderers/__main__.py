"""``python -m harness.adapters.renderers [out.json]``: the prefix-stability table, printed and written as data."""

from __future__ import annotations

import json
import sys

from harness.adapters.renderers.prefix_stability import format_prefix_table, prefix_stability_table
from harness.assets.tokenizers import available_tokenizers


def main(argv: list[str]) -> None:
    table = prefix_stability_table(sorted(available_tokenizers()))
    print(format_prefix_table(table))
    if argv:
        with open(argv[0], "w", encoding="utf-8") as out:
            json.dump(table, out, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
