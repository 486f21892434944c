"""A view as the plain dict the CLI prints as JSON: one rule for every view's `as_dict`.

Decisions: a view's fields appear in their declared order, which is the order of the keys in the JSON (scripts and
the tests compare it byte for byte). Values become what JSON holds: dates and datetimes their ISO text (naive UTC
stays without an offset), tuples lists, and a value with its own `as_dict` (an audience, a nested view) its dict.
A view whose JSON differs from its fields says how: fields left out, a key named otherwise, or a computed value
placed after a field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def json_ready(value: object) -> Any:
    """`value` as JSON holds it: ISO text for dates and datetimes, lists for tuples, dicts for views."""
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    return value


def record_dict(
    record: DataclassInstance,
    *,
    skip: Collection[str] = (),
    rename: Mapping[str, str] | None = None,
    after: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, Any]:
    """The fields of `record` in order, each `json_ready`: without those in `skip`, with the keys in `rename` named
    otherwise, and with `after[name]`'s items placed right after the field `name`."""
    rename = rename or {}
    after = after or {}
    result: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        if field.name not in skip:
            result[rename.get(field.name, field.name)] = json_ready(getattr(record, field.name))
        for key, value in after.get(field.name, {}).items():
            result[key] = json_ready(value)
    return result
