"""A reply nobody understood on the operators' screens: Today counts it, its Inbox row says it needs reading in words,
and `m` marks it read."""

from __future__ import annotations

from textual.widgets import DataTable, Label

from kit import needs_reading
from kit.models import Community
from kit.residents import ResidentInput, add_resident
from sms import router
from tests.tui.conftest import MakeApp, settle
from tui.screens.inbox import InboxScreen
from tui.screens.today import TodayScreen

PHONE = "+8613800138000"


def rows(screen: InboxScreen) -> list[list[str]]:
    table: DataTable[object] = screen.query_one("#inbox", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_m_marks_a_reply_nobody_understood_read(community: Community, make_app: MakeApp) -> None:
    add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"), actor="test")
    router.handle("simulator", "SIM-1", PHONE, "1")
    lost = router.handle("simulator", "SIM-2", PHONE, "家里的事说不清楚，你们来看看吧")
    app = make_app(language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("today")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        title = str(app.screen.query_one("#alerts-title", Label).render())
        assert "! 待阅读短信 1 条" in title

        await app.switch_mode("inbox")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        assert [row[3] for row in rows(inbox)] == ["待阅读 未识别", "平安"]
        await pilot.press("down")  # the understood one: `m` changes nothing
        await pilot.press("m")
        await settle(pilot)
        assert needs_reading.count() == 1
        await pilot.press("up", "m")
        await settle(pilot)
        assert [row[3] for row in rows(inbox)] == ["未识别", "平安"]
        assert needs_reading.marks([lost.id])[lost.id].by == "test-operator"

        await app.switch_mode("today")
        await settle(pilot)
        title = str(app.screen.query_one("#alerts-title", Label).render())
    assert "待阅读" not in title
