"""What every screen shares: kit errors in a dialog (never a traceback), the language, the keys in the footer and
the command palette, colour never the only carrier of meaning, and 80x24."""

from __future__ import annotations

from typing import NoReturn

import pytest
from textual.widgets import Footer

from kit.demo import DemoSummary
from kit.errors import NotFound
from kit.resident_search import find_residents
from kit.residents import set_status
from tests.tui.conftest import MakeApp, screen_text, settle
from tui import i18n
from tui.dialogs.message import MessageDialog
from tui.screens.residents import ResidentsScreen
from tui.widgets.badges import status_text

SCREENS = ("today", "residents", "inbox", "tasks", "notices", "simulator", "volunteers")


async def test_a_kit_error_in_a_worker_is_a_dialog(
    town: DemoSummary, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: object, **kwargs: object) -> NoReturn:
        raise NotFound("No resident 404.")

    monkeypatch.setattr("tui.screens.residents.resident_history", missing)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, MessageDialog)
        assert (dialog.title_text, dialog.message) == ("Not found", "No resident 404.")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ResidentsScreen)  # the app carries on
        assert app.is_running


async def test_an_unexpected_failure_is_explained_without_a_traceback(
    town: DemoSummary, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> NoReturn:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("tui.screens.residents.resident_history", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        text = screen_text(app)
        assert isinstance(app.screen, MessageDialog)
        assert "Something went wrong" in text and "load the resident" in text
        assert "Traceback" not in text and "ZeroDivisionError" not in text


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_every_screen_fits_80x24_in_both_languages(town: DemoSummary, make_app: MakeApp, language: str) -> None:
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        for name in SCREENS:
            await app.switch_mode(name)
            await settle(pilot)
            lines = screen_text(app).splitlines()
            assert len(lines) == 24
            nav = i18n.t(f"nav.{name}")
            assert f"[F{SCREENS.index(name) + 1} {nav}]" in lines[0]  # where you are, in words
            footer = app.screen.query_one(Footer)
            assert footer.region.bottom == 24 and footer.region.width == 80


async def test_the_interface_follows_the_community_language(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        text = screen_text(app)
        assert "姓名" in text and "电话" in text and "绿" in text
        app.screen.query_one("#residents").focus()
        await pilot.pause()
        assert "新增" in screen_text(app)  # the footer's key descriptions too


def test_status_is_a_word_not_only_a_colour() -> None:
    i18n.set_language("en")
    assert [str(status_text(s)) for s in ("green", "yellow", "red")] == ["GREEN", "YELLOW", "RED"]
    i18n.set_language("zh")
    assert [str(status_text(s)) for s in ("green", "yellow", "red")] == ["绿", "黄", "红"]


async def test_red_residents_say_red(town: DemoSummary, make_app: MakeApp) -> None:
    first = find_residents(limit=1)[0]
    set_status(first.id, "red", actor="test")
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        row = next(line for line in screen_text(app).splitlines() if first.name in line and "+86" in line)
        assert "RED" in row


async def test_the_palette_offers_the_screens_and_the_keys(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("tasks")
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Go to Residents" in titles
        assert {"New", "Assign", "Done", "Door-knock list"} <= set(titles)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Go to Notices")
        command.callback()
        await settle(pilot)
        assert app.current_mode == "notices"


def test_unknown_keys_show_themselves() -> None:
    assert i18n.t("no.such.key") == "no.such.key"
    i18n.set_language("fr")
    assert i18n.language() == "zh"


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    import string

    from kit import ui_words

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    languages = ui_words.languages()
    assert {"zh", "en"} <= set(languages)
    chinese = ui_words.table("zh")
    for language in languages:
        words = ui_words.table(language)
        assert words.keys() == chinese.keys(), (language, words.keys() ^ chinese.keys())
        for key, text in words.items():
            assert text.strip(), (language, key)
            assert fields(text) == fields(chinese[key]), (language, key)
