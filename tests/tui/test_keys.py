"""Keys a new operator can find: `?` lists the screen's keys in the community's language, confirm dialogs answer
to y/n and say which button Enter presses, Home/End jump in tables, `k` acknowledges the first alert, Ctrl+C says
how to quit, the palette has no English command in a Chinese community, and the search on Residents hides none of
the screen's keys."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Input, Label, OptionList

from kit.alerts import raise_alert
from kit.demo import DemoSummary
from kit.models import Alert
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.keys_help import KeysHelp, screen_keys
from tui.widgets.lazy_table import LazyTable


async def test_question_mark_lists_the_screens_keys_in_chinese_and_escape_closes_it(
    town: DemoSummary, make_app: MakeApp
) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("tasks")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, KeysHelp)
        shown = screen_text(app)
        assert "本页按键" in shown and "退出" in shown and "按键说明" not in shown
        assert "居民" in shown  # F2 goes to Residents
        assert not any(word in shown for word in ("Select", "Cursor", "Scroll", "Quit", "Focus", "Copy"))
        for key, what in screen_keys(app.screen_stack[-2]):
            assert not any("a" <= ch.lower() <= "z" for ch in what), (key, what)  # every word in Chinese
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, KeysHelp)


async def test_confirm_dialogs_answer_to_y_and_n_and_say_what_enter_presses(
    town: DemoSummary, make_app: MakeApp
) -> None:
    app = make_app("zh")
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, expected in (("y", True), ("n", False)):
            app.push_screen(ConfirmDialog("发送通知？", "全体 300 人"), answers.append)
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert str(dialog.query_one("#focused", Label).content) == "回车 = 取消"
            dialog.query_one("#confirm", Button).focus()
            await pilot.pause()
            assert str(dialog.query_one("#focused", Label).content) == "回车 = 确认"
            await pilot.press(key)
            await pilot.pause()
            assert answers[-1] is expected
    assert answers == [True, False]


async def test_k_on_today_acknowledges_the_first_alert_when_none_is_highlighted(
    town: DemoSummary, make_app: MakeApp
) -> None:
    first = raise_alert("fever", "黄倩（1-1-101）报告发烧 38.6°C", severity="urgent")
    raise_alert("fever", "王明（1-1-102）报告发烧 38.1°C", severity="warning")
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#alerts", OptionList).highlighted = None
        await pilot.press("k")
        await settle(pilot)
    acknowledged = [alert.id for alert in Alert.select().where(Alert.acknowledged_at.is_null(False))]
    assert acknowledged == [first.id]


async def test_home_and_end_jump_to_the_first_and_last_row_of_the_inbox(town: DemoSummary, make_app: MakeApp) -> None:
    from sms import router

    for number in range(30):
        router.receive("simulator", f"SM{number}", f"+86139{number:08d}", f"第{number}条")
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("inbox")
        await settle(pilot)
        table = app.screen.query_one("#inbox", DataTable)
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1 > 10
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0


async def test_ctrl_c_says_how_to_quit_in_the_communitys_language(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        notices = [(n.title, n.message) for n in app._notifications]
        assert ("要退出吗？", "按 Ctrl+Q 退出邻里。") in notices


async def test_the_palette_has_no_english_command_in_a_chinese_community(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "退出" in titles
        assert not [title for title in titles if title.isascii()], titles


async def test_the_command_palette_is_in_chinese_from_the_footer_to_its_search_field(
    town: DemoSummary, make_app: MakeApp
) -> None:
    from textual.command import CommandPalette
    from textual.widgets import Input

    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "palette" not in screen_text(app) and "命令" in screen_text(app).splitlines()[-1]
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).placeholder == "搜索命令…"


async def test_on_residents_the_footer_keeps_the_screens_keys_while_the_search_has_the_focus(
    town: DemoSummary, make_app: MakeApp
) -> None:
    app = make_app("zh")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        search = app.screen.query_one("#search", Input)
        assert app.focused is search
        shown = {key: active for key, active in app.screen.active_bindings.items()}
        assert {"a", "e", "d", "h"} <= shown.keys()  # 新增, 修改, 详情, 回答 stay in view ...
        assert not shown["a"].enabled  # ... greyed: "a" types into the search
        footer = screen_text(app).splitlines()[-1]
        assert "新增" in footer and "详情" in footer
        await pilot.press("a", "escape")
        await settle(pilot)
        assert search.value == "a" and isinstance(app.focused, LazyTable)  # Escape takes the list ...
        assert app.screen.active_bindings["a"].enabled  # ... where "a" adds a resident
        await pilot.press("slash")
        await settle(pilot)
        assert app.focused is search and search.value == "a"  # "/" goes back to the search, typing nothing
