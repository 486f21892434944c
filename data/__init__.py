"""Linli's data files: message templates, keyword tables and demo-community word lists.

They ship inside the wheel, so code reads them through `importlib.resources`, never by path from a checkout.
"""

from __future__ import annotations

import sys
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable

    import tomllib
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

    import tomli as tomllib


def resource(*parts: str) -> Traversable:
    """The data file at `parts` below this package (e.g. `resource("keywords", "zh.toml")`)."""
    node: Traversable = resources.files(__name__)
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    """The text of a UTF-8 data file."""
    return resource(*parts).read_text(encoding="utf-8")


def read_toml(*parts: str) -> dict[str, Any]:
    """A TOML data file, parsed."""
    parsed: dict[str, Any] = tomllib.loads(read_text(*parts))
    return parsed


def names_in(*parts: str) -> list[str]:
    """The file names in a data folder, sorted (e.g. the languages that have keyword tables)."""
    return sorted(entry.name for entry in resource(*parts).iterdir() if entry.is_file())
