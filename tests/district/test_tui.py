"""The district's terminal screen: each community's figures, who has not reported, the totals and the trend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from kit.district import add_community, parse_push, store_push
from tests.district.conftest import TODAY
from tests.tui.conftest import settle
from tui.district_app import DistrictApp
from tui.screens.district import DistrictScreen


def push(name: str, asked: int) -> None:
    community = add_community(name, actor="test")[0]
    body = {"date": TODAY.isoformat(), "as_of": "2026-11-20T01:00:00Z", "grids": [{"grid": "1", "asked": asked}]}
    store_push(community, parse_push(body, max_age_days=400))


def cells(table: DataTable[Any], column: int) -> list[str]:
    return [str(table.get_row_at(row)[column]) for row in range(table.row_count)]


async def test_the_screen_shows_each_community_who_has_not_reported_and_the_trend(database: Path | str) -> None:
    push("幸福里社区", 12)
    push("[bold]光明[/bold]社区", 7)
    add_community("和平社区", actor="test")
    app = DistrictApp(TODAY, language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DistrictScreen)
        table = screen.query_one("#district-table", DataTable)
        assert cells(table, 0) == ["[bold]光明[/bold]社区", "和平社区", "幸福里社区", "全区合计"]  # names as plain text
        assert cells(table, 1)[:3] == ["是", "否", "是"]
        assert cells(table, 3)[-1] == "19"  # asked, the district's total
        missing = str(screen.query_one("#district-missing", Static).render())
        assert "未上报（1）" in missing and "和平社区（最近 从未）" in missing
        trend = str(screen.query_one("#district-trend", Static).render())
        assert "已问" in trend and "▁▁▁▁▁▁▁▁▁▁▁▁▁█ 19" in trend
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "2026-11-19" in str(screen.query_one("#district-title").render())
        assert cells(table, 1)[:3] == ["否", "否", "否"]
