"""Text from outside on every screen: markup shows as typed, control characters as symbols, and nothing crashes.

A resident named `[/] 张` once stopped the whole UI (a Rich markup error), and an escape sequence in a reply reached
the operator's terminal raw. Here every screen, dialog and notification that shows such text is drawn, and what
the terminal would receive is checked.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Input, Select

from kit.alerts import raise_alert
from kit.checkin import start_round
from kit.config import Settings
from kit.gateway import Gateway, Outgoing, SendResult
from kit.models import Community, Message
from kit.notices import Audience, send_notice
from kit.outbox import Draft, queue
from kit.plaintext import visible
from kit.resident_search import ResidentView
from kit.residents import ResidentInput, add_resident
from kit.views import MessageLine, ReportLine, ResidentHistory, TaskLine
from kit.volunteers import add_volunteer
from linli.cli.terminal import keep_serving, ui_stopped
from linli.gateways import build_gateways
from linli.runtime import Runtime
from sms.router import handle
from tests.kit.test_plaintext import acts_on_a_terminal
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.alert_dialog import AlertDialog
from tui.dialogs.inbox_dialogs import ReplyDialog
from tui.dialogs.resident_form import ResidentForm
from tui.dialogs.task_dialogs import AssignDialog
from tui.screens.inbox import InboxScreen
from tui.screens.simulator import SimulatorScreen
from tui.screens.today import TodayScreen
from tui.widgets.lazy_table import Column, LazyTable, plain_strip
from tui.widgets.resident_card import describe_resident

TITLE = "\x1b]0;pwned\x07"  # renames the terminal window
CLIPBOARD = "\x1b]52;c;ZWNobyBoYWNrZWQ=\x07"  # writes the operator's clipboard
CLEAR = "\x1b[2J"  # clears the screen
GRID = f"[red]网格{CLEAR}"
SHOWN_GRID = "[red]网格␛[2J"


@dataclass(frozen=True)
class Hostile:
    markup_name: str = "[/] 张"
    bold_name: str = "[bold]x[/bold]"
    title_name: str = f"{TITLE}王"


@pytest.fixture
def hostile(community: Community) -> Hostile:
    """Residents, a volunteer, replies, a task, an alert and a notice whose text is markup and escape sequences."""
    names = Hostile()
    add_resident(
        ResidentInput(
            name=names.markup_name,
            phone="13800000001",
            grid=GRID,
            building="1",
            unit="1",
            room=f"101{CLIPBOARD}",
            notes=f"[/]{CLEAR}",
        ),
        actor="test",
    )
    add_resident(ResidentInput(name=names.bold_name, phone="13800000002", grid=GRID, building="1"), actor="test")
    add_resident(ResidentInput(name=names.title_name, phone="13800000003", grid=GRID, building="2"), actor="test")
    add_volunteer(f"[/]志愿者{CLIPBOARD}", "13900000009", grids=[GRID], actor="test")
    start_round(settings=Settings().checkin, actor="test")
    handle("simulator", "SM-1", "+8613800000001", "[/]")
    handle("simulator", "SM-2", "+8613800000002", f"3 买药{TITLE}[/]{CLEAR}")
    handle("simulator", "SM-3", "+8613800000003", f"{CLIPBOARD}[bold]2 发烧38.5")
    raise_alert("gateway", f"[/] provider said {TITLE}{CLEAR}", severity="urgent")
    send_notice(f"停水通知 [/] {CLEAR}", Audience(grids=(GRID,)), actor="test", confirm=True)
    return names


def assert_plain(text: str) -> None:
    """Nothing in `text` acts on a terminal: no escape, no other control character but the line ends."""
    assert "\x1b" not in text
    controls = [c for c in text if acts_on_a_terminal(c, multiline=True)]
    assert controls == [], controls


def on_screen(app: App[None]) -> str:
    text = screen_text(app)
    assert_plain(text)
    return text


async def test_today_shows_alerts_and_grids_as_typed(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = on_screen(app)
        assert "[/] provider said ␛]0;pwned␇␛[2J" in text
        assert "[red]网格" in text  # the grid's bar
        app.screen.query_one("#alerts").focus()
        await pilot.press("home", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AlertDialog)
        assert "[/] provider said ␛]0;pwned␇␛[2J" in on_screen(app)


async def test_residents_table_card_and_forms_show_names_as_typed(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        text = on_screen(app)
        assert all(name in text for name in ("[/] 张", "[bold]x[/bold]", "␛]0;pwned␇王"))
        table = app.screen.query_one(LazyTable)
        for index in range(table.total):
            table.focus()
            table.move_to(index)
            await settle(pilot)
            on_screen(app)
        table.move_to(0)
        await settle(pilot)
        card = on_screen(app)
        assert "[/] 张" in card and "[/]␛[2J" in card  # name and notes in the card
        assert "101␛]52;c;ZWNobyBoYWNrZWQ=␇" in card and SHOWN_GRID in card
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ResidentForm)
        assert "[/] 张" in on_screen(app)
        assert app.screen.query_one("#input-room", Input).value == "101␛]52;c;ZWNobyBoYWNrZWQ=␇"
        await pilot.press("escape")
        await settle(pilot)
        for key in ("m", "s"):  # the monitoring and status dialogs name the resident
            await pilot.press(key)
            await settle(pilot)
            assert "[/] 张" in on_screen(app)
            await pilot.press("escape")
            await settle(pilot)
        grids = app.screen.query_one("#grid", Select)
        grids.focus()
        await pilot.press("enter")  # the grid filter's choices
        await settle(pilot)
        assert SHOWN_GRID in on_screen(app)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert grids.value == GRID and SHOWN_GRID in on_screen(app)
        assert app.screen.query_one(LazyTable).total == 3


async def test_an_untouched_odd_value_is_saved_as_it_was(hostile: Hostile, make_app: MakeApp) -> None:
    from kit.resident_search import ResidentFilter, find_residents

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.switch_mode("residents")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        table.focus()
        index = next(i for i, row in enumerate(table.loaded_rows()) if "[/] 张" in str(row.cells[0]))
        table.move_to(index)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#input-unit", Input).value = "2"
        await pilot.press("ctrl+s")
        await settle(pilot)
    (view,) = find_residents(ResidentFilter(query="13800000001"))
    assert (view.unit, view.room, view.notes) == ("2", f"101{CLIPBOARD}", f"[/]{CLEAR}")


async def test_inbox_shows_replies_as_sent(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.switch_mode("inbox")
        await settle(pilot)
        table = app.screen.query_one("#inbox", DataTable)
        seen = []
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await settle(pilot)
            seen.append(on_screen(app))
        assert any("3 买药␛]0;pwned␇[/]␛[2J" in text for text in seen)  # the detail pane
        assert any("␛]52;c;ZWNobyBoYWNrZWQ=␇[bold]2 发烧38.5" in text for text in seen)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        table.move_cursor(row=[m.body for m in inbox.messages].index("[/]"))
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReplyDialog)
        text = on_screen(app)
        assert "[/] 张" in text and "← [/]" in text


async def test_tasks_show_needs_and_volunteers_as_typed(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.switch_mode("tasks")
        await settle(pilot)
        text = on_screen(app)
        assert "买药" in text and "pwned" not in text  # the need is read without the escapes around it
        assert "[bold]x[/bold]" in text
        assert "[/]志愿者␛]52;c;ZWNobyBoYWNrZWQ=␇" in text
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignDialog)
        assert "[/]志愿者" in on_screen(app)


async def test_notices_show_the_history_as_sent(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.switch_mode("notices")
        await settle(pilot)
        text = on_screen(app)
        assert "停水通知 [/] ␛[2J" in text and "grid [red]" in text


async def test_the_simulator_shows_the_conversation_and_the_toast_as_typed(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.switch_mode("simulator")
        await settle(pilot)
        await pilot.press(*"13800000001")
        await settle(pilot)
        assert "[/] 张" in on_screen(app)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SimulatorScreen)
        screen.send("+8613800000001", f"[/]{TITLE}")
        await settle(pilot)
        text = on_screen(app)
        assert "← [/]␛]0;pwned␇" in text  # the conversation
        (notification,) = app._notifications  # and the notification that it arrived, as plain text
        assert (notification.message, notification.markup) == ("Received: [/]␛]0;pwned␇", False)


async def test_the_command_palette_takes_markup_as_a_search(hostile: Hostile, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"[/]")
        await settle(pilot)
        assert "[/]" in on_screen(app)
        assert app.is_running


# --- a screen that fails does not stop the work -----------------------------------------------------------------


class Watched:
    """The simulator SMS gateway, telling the test each time the dispatcher hands it a message."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.name, self.channel = gateway.name, gateway.channel
        self.sent = threading.Event()

    def send(self, message: Outgoing) -> SendResult:
        result = self.gateway.send(message)
        self.sent.set()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)


def broken(screen: TodayScreen) -> None:
    raise RuntimeError("a screen that cannot draw")


def test_the_dispatcher_still_sends_after_a_screen_raised(
    community: Community, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Settings()
    gateways = build_gateways(config)
    sms = gateways["sms"] = Watched(gateways["sms"])
    runtime = Runtime(config, webhooks=False, gateways=gateways).start()
    monkeypatch.setattr(TodayScreen, "on_mount", broken)
    codes: list[int] = []  # the exit codes of the UIs opened
    questions: list[str] = []

    def open_ui() -> int:
        app = make_app()
        app.run(headless=True, size=(80, 24))
        codes.append(app.return_code or 0)
        return codes[-1]

    def ask(question: str) -> str:
        questions.append(question)
        queue(Draft(peer="+8613800000001", body="还在发送 [/]", kind="reply"))
        runtime.wake()
        assert sms.sent.wait(30), "the dispatcher sent nothing after the screen failed"
        return "q"

    try:
        keep_serving(open_ui, ask)
    finally:
        runtime.stop()
    assert codes == [1]  # the UI stopped on the error ...
    assert questions == [ui_stopped("zh")]  # ... the operator was told the work goes on ...
    assert Message.get(Message.body == "还在发送 [/]").status in ("sent", "delivered")  # ... and it went on


def test_enter_opens_the_ui_again_after_it_failed(community: Community) -> None:
    results = iter([1, 0])  # a crash, then a quit
    opened: list[int] = []

    def open_ui() -> int:
        opened.append(1)
        return next(results)

    keep_serving(open_ui, lambda question: "")
    assert len(opened) == 2


def test_a_ui_that_fails_to_start_is_a_crash_not_the_end(community: Community) -> None:
    def open_ui() -> int:
        raise OSError("no terminal")

    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return "q"

    keep_serving(open_ui, ask)
    assert asked == [ui_stopped("zh")]


# --- the renderers, on any text ---------------------------------------------------------------------------------

hostile_text: st.SearchStrategy[str] = st.lists(
    st.one_of(
        st.sampled_from([TITLE, CLIPBOARD, CLEAR, "[/]", "[bold]", "[/bold]", "\u202e", "\r\n", "\x9b", "\udcff"]),
        st.text(max_size=6),
    ),
    max_size=8,
).map("".join)


def rendered(text: Text, width: int = 200) -> str:
    """What a Rich console would write for `text` (styles and all), as the terminal receives it."""
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    with console.capture() as captured:
        console.print(text, end="")
    return captured.get()


def without_styles(output: str) -> str:
    """`output` less the SGR style sequences Rich writes itself (the only escapes allowed through)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", output)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text, notes=hostile_text, body=hostile_text, need=hostile_text)
def test_the_resident_card_shows_any_text_as_typed(name: str, notes: str, body: str, need: str) -> None:
    view = ResidentView(
        1, name, "+8613800000001", None, name, "1", "2", body, "zh", (need,), 1950, "red", "none", None, False, notes
    )
    when = datetime(2026, 11, 20, 1, 0)
    history = ResidentHistory(
        view,
        [ReportLine(when, "sms", "help", None, "", body)],
        [MessageLine(1, when, "in", "sms", "+8613800000001", body, "handled", "reply", 1, name, {}, {})],
        [TaskLine(1, "errand", "open", need, name, None, when)],
    )
    card = describe_resident(history, lambda at, fmt: "09:00")
    assert visible(name) in card.plain and visible(notes) in card.plain and visible(body) in card.plain
    assert_plain(without_styles(rendered(card)))


@settings(max_examples=60)
@given(cells=st.lists(hostile_text, min_size=3, max_size=3))
def test_a_table_line_shows_any_cell_as_typed_within_its_width(cells: list[str]) -> None:
    table = LazyTable([Column("A", 10), Column("B", 10), Column("C", 10, grow=1)])
    line = table._line(cells, [10, 10, 10], "  ")
    strip = plain_strip(line, Console(width=40), 40, Style())
    drawn = "".join(segment.text for segment in strip)
    assert_plain(drawn)
    assert strip.cell_length == 40
    for cell in cells:
        shown = visible(cell)
        if cell_len(shown) <= 10:
            assert shown in drawn
