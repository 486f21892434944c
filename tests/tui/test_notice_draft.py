"""A notice's draft is the organizer's work: function keys typed in the text switch screens and leave it as it is,
and it is kept across screens until it is sent or discarded."""

from __future__ import annotations

from textual.widgets import TextArea

from kit.demo import DemoSummary
from tests.tui.conftest import MakeApp, settle
from tui.dialogs.confirm import ConfirmDialog

DRAFT = "明天上午9点到11点停水，请提前储水。"


async def test_a_function_key_in_the_text_switches_screens_and_keeps_the_draft(
    town: DemoSummary, make_app: MakeApp
) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("notices")
        await settle(pilot)
        area = app.screen.query_one("#notice-body", TextArea)
        area.focus()
        area.insert(DRAFT)
        await pilot.press("f1")
        await settle(pilot)
        assert app.current_mode == "today"
        await pilot.press("f3", "f5")
        await settle(pilot)
        assert app.current_mode == "notices"
        area = app.screen.query_one("#notice-body", TextArea)
        assert area.text == DRAFT
        area.focus()
        await pilot.press("f6")  # a text area's own F6 selects the line: typing would then replace the draft
        await settle(pilot)
        assert app.current_mode == "simulator"
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen.query_one("#notice-body", TextArea).text == DRAFT
        assert app.screen.query_one("#notice-body", TextArea).selected_text == ""


async def test_discarding_the_draft_asks_and_clears_it(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("notices")
        await settle(pilot)
        area = app.screen.query_one("#notice-body", TextArea)
        area.insert(DRAFT)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#notice-body", TextArea).text == DRAFT
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.query_one("#notice-body", TextArea).text == ""
