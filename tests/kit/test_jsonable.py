"""A view as the dict the CLI prints as JSON: field order, ISO times, lists, nested views, and the exceptions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from kit.jsonable import json_ready, record_dict


@dataclass(frozen=True)
class _Inner:
    kept: tuple[str, ...]

    def as_dict(self) -> dict[str, list[str]]:
        return {"kept": list(self.kept)} if self.kept else {}


@dataclass(frozen=True)
class _View:
    id: int
    kind: str
    tags: tuple[str, ...]
    day: date | None
    at: datetime
    inner: _Inner
    extra: dict[str, int] = field(default_factory=dict)


VIEW = _View(7, "help", ("a", "b"), date(2026, 11, 20), datetime(2026, 11, 20, 9, 5, 7, 123), _Inner(()))


def test_fields_in_declared_order_as_json_holds_them() -> None:
    assert json.dumps(record_dict(VIEW)) == (
        '{"id": 7, "kind": "help", "tags": ["a", "b"], "day": "2026-11-20", "at": "2026-11-20T09:05:07.000123", '
        '"inner": {}, "extra": {}}'
    )


def test_a_missing_date_stays_null() -> None:
    assert record_dict(_View(1, "x", (), None, VIEW.at, _Inner(("k",))))["day"] is None


def test_a_nested_view_gives_its_own_dict() -> None:
    assert record_dict(_View(1, "x", (), None, VIEW.at, _Inner(("k",))))["inner"] == {"kept": ["k"]}


def test_skip_rename_and_after_keep_the_order() -> None:
    shaped = record_dict(VIEW, skip=("extra", "at"), rename={"kind": "intent"}, after={"tags": {"count": 2}})
    assert list(shaped) == ["id", "intent", "tags", "count", "day", "inner"]
    assert shaped["intent"] == "help" and shaped["count"] == 2


def test_json_ready_goes_into_lists_and_dicts() -> None:
    assert json_ready({"days": (date(2026, 1, 2),), "n": 1}) == {"days": ["2026-01-02"], "n": 1}
