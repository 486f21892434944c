"""Voice calls on the operators' screens: one Inbox line per call with what it meant, and the simulator's call state
in words that match the call (a ringing call is ringing, not ended)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.widgets import DataTable, Label

from ivr.simulator import SimulatorVoiceGateway
from kit import outbox
from kit.config import DispatchSettings
from kit.demo import DemoSummary
from kit.dispatcher import Dispatcher
from kit.resident_search import ResidentView, find_residents
from sms.simulator import SimulatorGateway
from tests.tui.conftest import MakeApp, settle
from tui.screens.inbox import InboxScreen
from tui.screens.simulator import SimulatorScreen


def first_with_phone() -> ResidentView:
    return next(view for view in find_residents(limit=50) if view.phone and not view.opted_out)


async def test_a_keypad_answer_is_one_call_line_in_the_inbox(town: DemoSummary, make_app: MakeApp) -> None:
    resident = first_with_phone()
    voice = SimulatorVoiceGateway()
    app = make_app(language="zh", voice=voice)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("simulator")
        await settle(pilot)
        simulator = app.screen
        assert isinstance(simulator, SimulatorScreen)
        simulator.choose(resident)
        await settle(pilot)
        await pilot.click("#call-in")
        await settle(pilot)
        simulator.query_one("#keys").focus()
        await pilot.press("2", "enter")
        await settle(pilot)
        await pilot.press("3", "8", "5", "enter")
        await settle(pilot)
        conversation = str(simulator.query_one("#conversation").render())
        assert "= 不适 38.5°C" in conversation and "← 通话：按2，体温38.5" in conversation

        await app.switch_mode("inbox")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        table: DataTable[object] = inbox.query_one("#inbox", DataTable)
        rows = [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]
    assert [row[1:] for row in rows] == [[resident.name, "通话：按2，体温38.5", "不适 38.5°C 发烧"]]


async def test_a_ringing_call_is_ringing_then_says_how_it_ended(town: DemoSummary, make_app: MakeApp) -> None:
    resident = first_with_phone()
    assert resident.phone is not None
    voice = SimulatorVoiceGateway()
    outbox.queue(
        outbox.Draft(peer=resident.phone, body="", kind="checkin_call", channel="voice", language="zh",
                     resident_id=resident.id)
    )  # fmt: skip
    zone = ZoneInfo("Asia/Shanghai")
    Dispatcher({"sms": SimulatorGateway(), "voice": voice}, DispatchSettings(rate_per_second=0), zone).run_once()
    app = make_app(language="zh", voice=voice)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("simulator")
        await settle(pilot)
        simulator = app.screen
        assert isinstance(simulator, SimulatorScreen)
        simulator.choose(resident)
        await settle(pilot)
        state = simulator.query_one("#call-state", Label)
        assert str(state.render()) == "来电正在响铃：按键即接听"
        conversation = str(simulator.query_one("#conversation").render())
        assert "→ ☎ 通话" in conversation and "(响铃中)" in conversation
        voice.no_answer(resident.phone)  # nobody picks up: the provider says so
        await simulator.run_action("reload")
        await settle(pilot)
        assert str(state.render()) == "通话结束（无人接听）"
