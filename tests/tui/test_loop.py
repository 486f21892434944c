"""The loop seen from the TUI: a resident answers in the simulator panel, the inbox shows what the parser read,
an operator answers, and Today changes."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, Select

from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.demo import DemoSummary
from kit.models import Alert, Message, Report
from kit.outbox import PRIORITY_REPLY
from kit.resident_search import ResidentView, find_residents
from sms.router import handle
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.inbox_dialogs import CorrectDialog, ReplyDialog
from tui.screens.inbox import InboxScreen
from tui.screens.simulator import SimulatorScreen
from tui.screens.today import TodayScreen


def first_with_phone() -> ResidentView:
    return next(view for view in find_residents(limit=50) if view.phone and not view.opted_out)


async def test_answer_in_the_simulator_and_today_changes(town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    resident = first_with_phone()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        today = app.screen
        assert isinstance(today, TodayScreen) and today.figures is not None
        before = today.figures.total["answered"]
        assert not today.figures.alerts

        await pilot.press("f6")
        await settle(pilot)
        simulator = app.screen
        assert isinstance(simulator, SimulatorScreen)
        await pilot.press(*str(resident.phone).removeprefix("+86"))
        await settle(pilot)
        await pilot.press("enter")  # the first match
        await settle(pilot)
        assert simulator.resident is not None and simulator.resident.id == resident.id
        await pilot.press(*"2 38.9", "enter")
        await settle(pilot)
        conversation = str(simulator.query_one("#conversation").render())
        assert "← 2 38.9" in conversation  # what the resident sent
        assert "38.9" in conversation.split("← 2 38.9")[1]  # and the acknowledgement queued for them

        await pilot.press("f1")
        await settle(pilot)
        assert app.screen is today
        assert isinstance(today, TodayScreen) and today.figures is not None  # (`is` narrows to Screen[object])
        assert today.figures.total["answered"] == before + 1
        assert {alert.kind for alert in today.figures.alerts} == {"fever", "red"}
        text = screen_text(app)
        assert "URGENT" in text and "fever" in text


async def test_inbox_shows_the_parsed_reply_and_the_operator_answers(town: DemoSummary, make_app: MakeApp) -> None:
    resident = first_with_phone()
    assert resident.phone is not None
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("inbox")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        handle("simulator", "SIM-TEST-1", resident.phone, "求助 买药")  # arrives while the operator watches
        await inbox.run_action("reload")
        await settle(pilot)
        table: DataTable[object] = inbox.query_one("#inbox", DataTable)
        assert table.row_count == 1
        row = table.get_row_at(0)
        assert str(row[1]) == resident.name and str(row[2]) == "求助 买药"  # plain Text: never read as markup
        assert str(row[3]) == "help 买药"

        inbox.query_one("#inbox").focus()
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ReplyDialog)
        dialog.query_one("#reply-body", Input).value = "志愿者马上到。"
        await pilot.press("enter")
        await settle(pilot)
    reply = Message.select().where((Message.direction == "out") & (Message.body == "志愿者马上到。")).get()
    assert (reply.peer, reply.priority, reply.kind, reply.resident_id) == (
        resident.phone,
        PRIORITY_REPLY,
        "reply",
        resident.id,
    )


async def test_correcting_a_misread_reply_records_it_and_acts(town: DemoSummary, make_app: MakeApp) -> None:
    """An operator says what "还行吧" with a hot forehead really meant: unwell, 38.6; the kit acts on it."""
    resident = first_with_phone()
    assert resident.phone is not None
    handle("simulator", "SIM-TEST-2", resident.phone, "还行吧")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("inbox")
        await settle(pilot)
        app.screen.query_one("#inbox").focus()
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CorrectDialog)
        dialog.query_one("#kind", Select).value = "unwell"
        dialog.query_one("#temperature", Input).value = "38.6"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CorrectDialog)
    message = Message.get(Message.provider_id == "SIM-TEST-2")
    assert json.loads(message.corrected_intent)["temperature_c"] == 38.6
    report = Report.select().where(Report.message == message.id).order_by(Report.id.desc()).first()
    assert (report.kind, report.temperature_c) == ("unwell", 38.6)
    assert Alert.select().where(Alert.kind == "fever").count() == 1


async def test_keypad_in_the_simulator_reports_through_the_voice_menus(town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    resident = first_with_phone()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("simulator")
        await settle(pilot)
        simulator = app.screen
        assert isinstance(simulator, SimulatorScreen) and simulator.voice is not None
        simulator.choose(resident)
        await settle(pilot)
        await pilot.click("#call-in")  # the resident rings the community's number
        await settle(pilot)
        assert simulator.call is not None and simulator.call.waiting
        simulator.query_one("#keys").focus()
        await pilot.press("2", "enter")  # fever or cough
        await settle(pilot)
        await pilot.press("3", "8", "5", "enter")  # 38.5
        await settle(pilot)
        assert simulator.call is not None and not simulator.call.waiting
        assert "☎" in str(simulator.query_one("#conversation").render())
    report = Report.get(Report.resident == resident.id)
    assert (report.channel, report.kind, report.temperature_c) == ("voice", "unwell", 38.5)
