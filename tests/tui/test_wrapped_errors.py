"""An error line is wrapped, never cut: the whole sentence is on the screen at 80x24."""

from __future__ import annotations

from textual.widgets import Input

from kit.demo import DemoSummary
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.resident_form import ResidentForm
from tui.widgets.lazy_table import LazyTable


def squeezed(text: str) -> str:
    """The screen's text with its line breaks, frame characters and padding taken out."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "│┃▏▕▎▍▌▋▊▉█─━▔▁")


async def test_a_long_error_under_a_field_is_shown_whole(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        app.screen.query_one(LazyTable).focus()
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ResidentForm)
        form.query_one("#input-name", Input).value = "王秀英"
        form.query_one("#input-phone", Input).value = "1234567"
        await pilot.press("ctrl+s")
        await settle(pilot)
        message = form.field_error("phone")
        assert message and len(message) > 60  # longer than what is left of the line beside the labels
        assert app.screen is form
        await pilot.pause()
        assert squeezed(message) in squeezed(screen_text(app))


async def test_a_forms_error_is_in_the_communitys_language(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        app.screen.query_one(LazyTable).focus()
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ResidentForm)
        form.query_one("#input-name", Input).value = "王秀英"
        form.query_one("#input-phone", Input).value = "138001"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form.field_error("phone") == "“138001”（6位）不是有效的中国号码，请核对数字。"
        await pilot.pause()
        assert squeezed("不是有效的中国号码，请核对数字。") in squeezed(screen_text(app))
