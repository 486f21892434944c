"""The Notices screen: the preview shows recipients, encoding, segments and cost; sending needs a confirmation."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from kit import ui_words
from kit.demo import DemoSummary
from kit.models import Community, Message, Notice, Resident
from kit.notices import preview_notice
from kit.residents import ResidentInput, add_resident
from tests.tui.conftest import MakeApp, settle
from tui.app import LinliApp
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.notices import NoticesScreen, preview_text

BODY = "明天上午9点在小区门口免费测体温，请戴口罩。"


async def compose(app: LinliApp, pilot: Pilot[None], grid: str = "") -> NoticesScreen:
    await app.switch_mode("notices")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, NoticesScreen)
    screen.query_one("#notice-body", TextArea).text = BODY
    screen.query_one("#grids", Input).value = grid
    await settle(pilot)
    return screen


def notice_messages() -> int:
    count: int = Message.select().where(Message.notice_id.is_null(False)).count()
    return count


async def test_preview_then_cancel_sends_nothing(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await compose(app, pilot, grid="第1网格")
        in_grid = Resident.select().join(Resident.grid.rel_model).where(Resident.grid.rel_model.name == "第1网格")
        preview = str(screen.query_one("#preview").render())
        assert "UCS-2" in preview and "recipients" in preview and "¥" in preview
        reachable = sum(1 for r in in_grid if r.phone)
        assert f"{reachable:,} recipients" in preview
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # the focus starts on Cancel: a habitual Enter sends nothing
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
    assert Notice.select().count() == 0
    assert notice_messages() == 0


async def test_confirm_queues_and_the_history_follows_delivery(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await compose(app, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm")
        await settle(pilot)
        notice = Notice.get()
        assert notice.body == BODY and notice.created_by == "test-operator"
        queued = notice_messages()
        assert queued >= notice.recipients > 0  # one SMS each; those who cannot read get a call instead
        history: DataTable[object] = screen.query_one("#history", DataTable)
        assert history.row_count == 1
        assert history.get_row_at(0)[4] == f"{queued:,}"  # all still waiting to go out


async def test_a_grid_that_does_not_exist_is_explained_in_the_preview(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await compose(app, pilot, grid="第99网格")
        assert "No grid named 第99网格" in str(screen.query_one("#preview").render())


def test_the_previews_warnings_are_in_the_readers_language(community: Community) -> None:
    add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"))
    preview = preview_notice("The “clinic” opens at 9. " * 3)
    ui_words.use_language("zh")
    shown = preview_text(preview).plain
    assert "! 弯引号“”让短信改用 UCS-2 编码：要分 2 条，本来只要 1 条。" in shown
    assert '把 “ -> "，” -> " 替换掉，就能保持 GSM-7。' in shown
    ui_words.use_language("en")
    assert "! “smart quotes” force UCS-2: 2 segments instead of 1." in preview_text(preview).plain
