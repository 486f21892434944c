"""What the district reads: who reported on a day (and since when not), the totals, the trend, the XLSX table."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kit.district import add_community, authenticate, parse_push, revoke_community, store_push
from kit.district_view import bars, district_status, district_trend, export_status, list_communities
from kit.errors import Conflict, NotFound, ValidationError
from kit.figures import FIGURES
from tests.district.conftest import TODAY
from tests.workbooks import active_sheet

pytestmark = pytest.mark.each_database


def push(name: str, day: date, grids: dict[str, dict[str, int]]) -> None:
    community = by_name(name) if name in names() else add_community(name, actor="test")[0]
    body = {
        "date": day.isoformat(),
        "as_of": "2026-11-20T01:00:00Z",
        "grids": [{"grid": grid, **figures} for grid, figures in grids.items()],
    }
    store_push(community, parse_push(body, max_age_days=400))


def names() -> list[str]:
    return [line.name for line in list_communities()]


def by_name(name: str) -> Any:
    from kit.district_models import DistrictCommunity

    return DistrictCommunity.get(DistrictCommunity.name == name)


@pytest.fixture
def district(database: Path | str) -> None:
    """Three communities: 幸福里 reports every day, 光明 reported two days ago, 和平 never."""
    for offset in range(20):
        push("幸福里社区", TODAY - timedelta(days=offset), {"1": {"asked": 10 + offset, "fever": 1}, "2": {"asked": 5}})
    push("光明社区", TODAY - timedelta(days=2), {"东区": {"asked": 7, "unreachable": 2}})
    add_community("和平社区", actor="test")


def test_status_has_one_object_per_community_with_its_figures(district: None) -> None:
    status = district_status(TODAY)
    shapes = [community.as_dict() for community in status.communities]
    assert [shape["name"] for shape in shapes] == ["光明社区", "和平社区", "幸福里社区"]
    assert set(shapes[0]) == {"name", "reported", "last_reported", "received_at", "totals", "grids"}
    light, peace, happy = shapes
    assert (light["reported"], light["last_reported"], light["grids"]) == (False, "2026-11-18", [])
    assert (peace["reported"], peace["last_reported"]) == (False, None)
    assert happy["reported"] is True and happy["last_reported"] == "2026-11-20"
    assert happy["totals"]["asked"] == 15 and set(happy["totals"]) == set(FIGURES)
    assert happy["grids"] == [{"grid": "1", "asked": 10, "fever": 1}, {"grid": "2", "asked": 5}]
    assert [c.name for c in status.not_reported] == ["光明社区", "和平社区"]
    assert status.totals["asked"] == 15


def test_a_past_day_shows_who_reported_then(district: None) -> None:
    status = district_status(TODAY - timedelta(days=2))
    assert [c.name for c in status.communities if c.reported] == ["光明社区", "幸福里社区"]
    assert status.totals["asked"] == 12 + 5 + 7


def test_the_trend_sums_each_day_oldest_first(district: None) -> None:
    trend = district_trend(TODAY, 14)
    assert trend.days[0] == TODAY - timedelta(days=13) and trend.days[-1] == TODAY
    assert trend.series["asked"][-1] == 15 and trend.series["asked"][0] == 10 + 13 + 5
    assert trend.series["asked"][-3] == 12 + 5 + 7
    assert trend.series["unreachable"][-3] == 2 and sum(trend.series["unreachable"]) == 2
    assert trend.reporting[-3:] == [2, 1, 1]
    with pytest.raises(ValidationError):
        district_trend(TODAY, 0)


def test_bars_scale_to_the_largest_value() -> None:
    assert bars([0, 4, 8]) == "▁▅█"
    assert bars([0, 0]) == "▁▁"
    assert bars([]) == ""


def test_a_revoked_community_is_no_longer_listed_but_keeps_its_figures(district: None) -> None:
    assert revoke_community("幸福里社区", actor="test") is True
    assert revoke_community("幸福里社区", actor="test") is False
    assert [c.name for c in district_status(TODAY).communities] == ["光明社区", "和平社区"]
    assert by_name("幸福里社区").reports.count() == 20
    with pytest.raises(NotFound):
        revoke_community("不存在社区", actor="test")


def test_a_name_is_added_once_and_a_revoked_one_gets_a_new_token(database: Path | str) -> None:
    community, token = add_community("幸福里社区", actor="test")
    assert authenticate(token).id == community.id
    assert token not in community.token_hash and len(token) >= 40
    with pytest.raises(Conflict):
        add_community(" 幸福里社区 ", actor="test")
    revoke_community("幸福里社区", actor="test")
    again, new_token = add_community("幸福里社区", actor="test")
    assert again.id == community.id and new_token != token
    assert authenticate(new_token).id == community.id
    for bad in ("", "a\x1b[2Jb", "x" * 101):
        with pytest.raises(ValidationError):
            add_community(bad, actor="test")


def test_the_export_has_the_districts_headers_and_a_row_per_grid(district: None, tmp_path: Path) -> None:
    path = tmp_path / "district.xlsx"
    assert export_status(TODAY, path, "zh") == 6
    rows = list(active_sheet(load_workbook(path)).iter_rows(values_only=True))
    assert rows[0][:4] == ("社区", "网格", "居民数", "已问") and rows[0][-1] == "最近上报"
    assert rows[1][:2] == ("光明社区", "未上报") and rows[1][-1] in (datetime(2026, 11, 18), "2026-11-18")
    assert rows[3][:4] == ("幸福里社区", "1", None, 10)
    assert rows[5][:2] == ("幸福里社区", "合计") and rows[5][3] == 15
    assert rows[6][:2] == ("全区", "合计") and rows[6][3] == 15
    english = tmp_path / "en.xlsx"
    export_status(TODAY, english, "en")
    assert next(active_sheet(load_workbook(english)).iter_rows(values_only=True))[:2] == ("Community", "Grid")
