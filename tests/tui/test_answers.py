"""Answers by hand in the TUI: `h` on Residents records one; closing a door-knock on Tasks asks what was found."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from kit import audit
from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.demo import DemoSummary
from kit.models import Alert, CheckinAsk, Report, Resident, Task
from kit.resident_search import find_residents
from tests.tui.conftest import MakeApp, settle
from tui.app import LinliApp
from tui.dialogs.answer import AnswerDialog
from tui.dialogs.knock_outcome import KnockOutcomeDialog
from tui.screens.residents import ResidentsScreen
from tui.screens.tasks import TasksScreen
from tui.widgets.form_field import FormField
from tui.widgets.lazy_table import LazyTable


async def answer_dialog(app: LinliApp, pilot: Pilot[None]) -> AnswerDialog:
    await app.switch_mode("residents")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ResidentsScreen)
    screen.query_one(LazyTable).focus()
    await pilot.press("h")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, AnswerDialog)
    return dialog


async def test_an_answer_by_phone_is_recorded_from_the_residents_screen(town: DemoSummary, make_app: MakeApp) -> None:
    first = find_residents(limit=1)[0]
    app = make_app(language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await answer_dialog(app, pilot)
        assert dialog.resident.id == first.id
        dialog.query_one("#kind", Select).value = "unwell"
        dialog.query_one("#temperature", Input).value = "38度5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not dialog
    report = Report.get(Report.resident == first.id)
    assert (report.channel, report.kind, report.temperature_c) == ("phone", "unwell", 38.5)
    assert Resident.get_by_id(first.id).status == "red"
    assert audit.recent(entity="report", entity_id=report.id)[0].actor == "test-operator"


async def test_a_temperature_that_is_not_one_stays_in_the_dialog(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app(language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await answer_dialog(app, pilot)
        dialog.query_one("#kind", Select).value = "unwell"
        dialog.query_one("#temperature", Input).value = "101室"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "不是体温" in dialog.query_one("#field-temperature_c", FormField).error
    assert not Report.select().exists()


async def knock_outcome_dialog(app: LinliApp, pilot: Pilot[None], knock: Task) -> KnockOutcomeDialog:
    await app.switch_mode("tasks")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, TasksScreen)
    table = screen.query_one("#tasks", DataTable)
    table.move_cursor(row=table.get_row_index(str(knock.id)), animate=False)
    table.focus()
    await pilot.press("d")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, KnockOutcomeDialog)
    return dialog


async def test_a_door_knock_is_not_closed_without_what_was_found(town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    knock = Task.select().where(Task.kind == "door_knock").order_by(Task.id).first()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await knock_outcome_dialog(app, pilot, knock)
        assert dialog.query_one("#outcome", Select).is_blank()  # nothing chosen for the operator
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert dialog.query_one("#field-outcome", FormField).error == "Choose what the volunteer found."
        assert Task.get_by_id(knock.id).state == "assigned"
        await pilot.press("escape")
        await settle(pilot)
        assert Task.get_by_id(knock.id).state == "assigned"  # cancelled: still open

        dialog = await knock_outcome_dialog(app, pilot, knock)
        dialog.query_one("#outcome", Select).value = "nobody_home"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not dialog
    assert Task.get_by_id(knock.id).state == "done"
    assert not Report.select().exists()
    ask = CheckinAsk.get(CheckinAsk.resident == knock.resident_id)
    second = Task.get_by_id(ask.task_id)
    assert (ask.stage, second.kind, second.state) == ("door_knock", "door_knock", "assigned")
    assert Alert.get(Alert.kind == "nobody_home").resident_id == knock.resident_id


async def test_an_answer_at_the_door_closes_the_knock(town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    knock = Task.select().where(Task.kind == "door_knock").order_by(Task.id).first()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await knock_outcome_dialog(app, pilot, knock)
        dialog.query_one("#outcome", Select).value = "unwell"
        dialog.query_one("#temperature", Input).value = "37.8"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not dialog
    report = Report.get(Report.resident == knock.resident_id)
    assert (report.channel, report.kind, report.temperature_c, report.symptoms) == ("door", "unwell", 37.8, "fever")
    assert Task.get_by_id(knock.id).state == "done"
    assert CheckinAsk.get(CheckinAsk.resident == knock.resident_id).outcome == "unwell"


async def test_moved_away_at_the_door(town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    knock = Task.select().where(Task.kind == "door_knock").order_by(Task.id).first()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await knock_outcome_dialog(app, pilot, knock)
        dialog.query_one("#outcome", Select).value = "moved_away"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert Resident.get_by_id(knock.resident_id).moved_out_at is not None
    assert Task.get_by_id(knock.id).state == "done"
