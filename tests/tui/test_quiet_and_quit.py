"""Visible state: a banner on every screen while quiet hours hold sending, and quitting with messages still queued
asks first (the dispatcher stops with the UI)."""

from __future__ import annotations

from kit import clock
from kit.db import transaction
from kit.demo import DemoSummary
from kit.outbox import Draft, queue
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.confirm import ConfirmDialog


async def test_quiet_hours_show_a_banner_with_when_sending_resumes(
    town: DemoSummary, make_app: MakeApp, fixed_clock: clock.FixedClock
) -> None:
    fixed_clock.advance(hours=13, minutes=30)  # 22:30 in Shanghai: quiet from 21:00 to 07:00
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "夜间免打扰：短信和电话暂停发送，07:00 恢复" in screen_text(app)
        await app.switch_mode("tasks")
        await settle(pilot)
        assert "07:00 恢复" in screen_text(app)
        fixed_clock.advance(hours=9)  # 07:30
        app._tick()
        await pilot.pause()
        assert "夜间免打扰" not in screen_text(app)


async def test_no_banner_during_the_day(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Quiet hours" not in screen_text(app)


async def test_quitting_with_messages_queued_asks_first(town: DemoSummary, make_app: MakeApp) -> None:
    with transaction():
        queue(Draft(peer="+8613900000001", body="通知", kind="notice", key="n:1"))
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "还有 1 条消息在排队等待发送" in dialog.body
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, ConfirmDialog)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running


async def test_quitting_with_nothing_queued_quits_at_once(community: object, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running


async def test_a_notice_confirmed_in_quiet_hours_says_when_it_goes_out(
    town: DemoSummary, make_app: MakeApp, fixed_clock: clock.FixedClock
) -> None:
    from textual.widgets import TextArea

    fixed_clock.advance(hours=13, minutes=30)  # 22:30
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("notices")
        await settle(pilot)
        app.screen.query_one("#notice-body", TextArea).insert("明天停水")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "现在是夜间免打扰时间：通知在 07:00 开始发送。" in dialog.body
