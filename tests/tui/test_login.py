"""Who is on duty in the terminal UI: the sign-in once operators exist, a wrong PIN, the hand-over with its summary,
and a viewer refused at the keys that change things."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from kit import audit, clock
from kit.alerts import raise_alert
from kit.models import Community
from kit.operators import add_operator
from kit.shifts import current_shift
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.handover import HandoverDialog
from tui.dialogs.resident_form import ResidentForm
from tui.dialogs.task_dialogs import PrintDialog
from tui.i18n import t
from tui.screens.login import LoginScreen
from tui.screens.today import TodayScreen
from tui.widgets.lazy_table import LazyTable

PINS = {"王芳": "246810", "李明": "135790", "anna": "864200"}


@pytest.fixture
def staffed(community: Community) -> Community:
    add_operator("王芳", PINS["王芳"], role="admin", actor="test")
    add_operator("李明", PINS["李明"], role="operator", actor="test")
    add_operator("anna", PINS["anna"], role="viewer", actor="test")
    return community


async def sign_in(pilot: Pilot[None], name: str, pin: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, LoginScreen)
    screen.query_one("#who", Select).value = name
    screen.query_one("#pin", Input).focus()
    await pilot.press(*pin, "enter")
    await settle(pilot)


async def test_without_operators_nobody_is_asked(community: Community, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen)
        assert app.actor == "test-operator" and app.on_duty is None


async def test_once_operators_exist_the_app_asks_who_is_on_duty(staffed: Community, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        text = screen_text(app)
        assert "Who is on duty?" in text and "Sign in" in text
        for key in ("escape", "ctrl+p", "f2", "ctrl+o"):  # no way around it
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen), key
        await sign_in(pilot, "王芳", PINS["王芳"])
        assert isinstance(app.screen, TodayScreen)
        assert app.actor == "王芳"
        shift = current_shift()
        assert shift is not None and shift.operator == "王芳"


async def test_a_wrong_pin_is_refused_and_the_sign_in_stays(staffed: Community, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "李明", "000000")
        assert isinstance(app.screen, LoginScreen)
        assert "Not signed in: Wrong PIN for 李明" in screen_text(app)
        assert app.screen.query_one("#pin", Input).value == ""
        assert app.actor == "test-operator"
        assert current_shift() is None
        assert [e.action for e in audit.entries(actor="李明")] == ["wrong-pin"]


async def test_hand_over_shows_the_shift_summary_and_changes_the_actor(
    staffed: Community, make_app: MakeApp, fixed_clock: clock.FixedClock
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "王芳", PINS["王芳"])
        fixed_clock.advance(minutes=30)
        raise_alert("fever", "38.6 from 3-2-201", key="fever-1")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, HandoverDialog)
        text = screen_text(app)
        assert "Hand over: 王芳 on duty since 09:00" in text
        assert "Came in this shift: 0 replies · 1 alerts · 0 tasks" in text
        assert "Still open: 1 alerts" in text
        fixed_clock.advance(minutes=1)
        await sign_in(pilot, "李明", PINS["李明"])
        assert isinstance(app.screen, TodayScreen)
        assert app.actor == "李明" and app.on_duty is not None and app.on_duty.role == "operator"
        [handover] = [e for e in audit.entries(actor="李明") if e.action == "shift-start"]
        assert audit.detail_of(handover)["from"] == "王芳"
        shift = current_shift()
        assert shift is not None and shift.started_at == clock.utcnow()


async def test_escape_keeps_the_operator_on_duty(staffed: Community, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "王芳", PINS["王芳"])
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TodayScreen) and app.actor == "王芳"


async def test_hand_over_is_in_the_command_palette(staffed: Community, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "王芳", PINS["王芳"])
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Hand over" in titles


async def test_a_viewer_sees_screens_but_changes_nothing(staffed: Community, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "anna", PINS["anna"])
        await app.switch_mode("residents")
        await settle(pilot)
        app.screen.query_one(LazyTable).focus()  # the search field has the focus at first
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, ResidentForm)
        messages = [notification.message for notification in app._notifications]
        assert "anna (viewer) may not change residents." in messages
        await app.switch_mode("notices")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        messages = [notification.message for notification in app._notifications]
        assert "anna (viewer) may not send notices." in messages


async def test_a_printed_door_knock_list_is_in_the_trail_with_the_operators_name(
    staffed: Community, make_app: MakeApp, tmp_path: Path
) -> None:
    target = tmp_path / "knock.txt"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "李明", PINS["李明"])
        await app.switch_mode("tasks")
        await settle(pilot)
        app.screen.query_one("#tasks").focus()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PrintDialog)
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert target.exists()
    [export] = [e for e in audit.entries() if e.action == "export"]
    assert (export.actor, export.entity, audit.detail_of(export)["to"]) == ("李明", "door_knock_list", str(target))


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_hand_over_fits_80x24_in_both_languages(staffed: Community, make_app: MakeApp, language: str) -> None:
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await sign_in(pilot, "王芳", PINS["王芳"])
        await pilot.press("ctrl+o")
        await settle(pilot)
        text = screen_text(app)
        for key in ("duty.take_over", "cancel", "duty.pin"):
            assert t(key) in text, key
