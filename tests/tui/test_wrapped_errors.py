"""An error line is wrapped, never cut: the whole sentence is on the screen at 80x24, in the community's language."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kit.demo import DemoSummary
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.resident_form import ResidentForm
from tui.widgets.lazy_table import LazyTable


def squeezed(text: str) -> str:
    """The screen's text with its line breaks, frame characters and padding taken out."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "│┃▏▕▎▍▌▋▊▉█─━▔▁")


@pytest.mark.parametrize(
    ("language", "phone", "expected"),
    [
        ("en", "1234567", "'1234567' (7 digits) is not a valid number in China; check the digits."),
        ("zh", "138001", "“138001”（6位）不是有效的中国号码，请核对数字。"),  # in the community's language
    ],
)
async def test_a_forms_error_is_shown_whole_in_the_communitys_language(
    town: DemoSummary, make_app: MakeApp, language: str, phone: str, expected: str
) -> None:
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        app.screen.query_one(LazyTable).focus()
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ResidentForm)
        form.query_one("#input-name", Input).value = "王秀英"
        form.query_one("#input-phone", Input).value = phone
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form.field_error("phone") == expected  # longer than what is left of the line beside the labels
        assert app.screen is form
        await pilot.pause()
        assert squeezed(expected) in squeezed(screen_text(app))
