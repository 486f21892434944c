"""The Tasks screen: a board by state; assign (the least loaded suggested), close with a confirmation, overdue in
words, and the door-knock list printed to a file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from kit import clock
from kit.assignment import suggest_volunteer
from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.demo import DemoSummary
from kit.models import Grid, Task, Volunteer, VolunteerGrid
from kit.resident_search import find_residents
from kit.tasks import create_task
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.app import LinliApp
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.task_dialogs import AssignDialog, PrintDialog
from tui.screens.tasks import TasksScreen
from tui.widgets.form_field import FormField


def open_task_nobody_covers() -> Task:
    """A help task in a grid without volunteers: it stays open for an operator to assign."""
    resident = find_residents(limit=1)[0]
    lonely = Grid.create(name="第9网格")
    return create_task("errand", resident_id=resident.id, need="买药", grid_id=lonely.id, actor="test")


async def open_tasks(app: LinliApp, pilot: Pilot[None]) -> TasksScreen:
    await app.switch_mode("tasks")
    await settle(pilot)
    assert isinstance(app.screen, TasksScreen)
    return app.screen


async def test_assign_then_close_a_task(town: DemoSummary, make_app: MakeApp, fixed_clock: clock.FixedClock) -> None:
    task = open_task_nobody_covers()
    assert task.state == "open"
    grid_of_resident = find_residents(limit=1)[0].grid
    helper = Volunteer.select().join(VolunteerGrid).join(Grid).where(Grid.name == grid_of_resident).first()
    VolunteerGrid.create(volunteer=helper.id, grid=task.grid_id)  # now somebody covers the grid
    expected = suggest_volunteer(task.grid_id)
    assert expected is not None
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tasks(app, pilot)
        current = screen.current()
        assert current is not None and current.id == task.id
        screen.query_one("#tasks").focus()
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssignDialog)
        assert dialog.query_one("#volunteer", Select).value == expected.id  # the least loaded is suggested
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Task.get_by_id(task.id).state == "assigned"
        assert Task.get_by_id(task.id).volunteer_id == expected.id

        screen.query_one("#tasks").focus()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # cancel: nothing changes
        await settle(pilot)
        assert Task.get_by_id(task.id).state == "assigned"
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#confirm")
        await settle(pilot)
        assert Task.get_by_id(task.id).state == "done"
        assert task.id not in [t.id for t in screen.tasks]  # gone from the unfinished column


async def test_overdue_tasks_say_so(town: DemoSummary, make_app: MakeApp, fixed_clock: clock.FixedClock) -> None:
    resident = find_residents(limit=1)[0]
    task = create_task(
        "errand",
        resident_id=resident.id,
        need="买菜",
        due_at=fixed_clock.now().replace(tzinfo=None) + timedelta(hours=1),
        actor="test",
    )
    fixed_clock.advance(hours=2)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tasks(app, pilot)
        row = next(line for line in screen_text(app).splitlines() if f"#{task.id} " in line)
        assert "!OVERDUE" in row


async def test_print_the_door_knock_list(
    town: DemoSummary, make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-printer"))
    start_round(settings=CheckinSettings())
    target = tmp_path / "knock.html"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tasks(app, pilot)
        screen.query_one("#tasks").focus()
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PrintDialog)
        dialog.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert page.count("&#9744; Well") == Task.select().where(Task.kind == "door_knock").count() > 0


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with a Documents folder, the working directory elsewhere, and no printer command."""
    folder = tmp_path / "home"
    (folder / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / ".config"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return folder


async def print_with_the_dialog(app: LinliApp, pilot: Pilot[None], *, tick: bool = False) -> PrintDialog:
    screen = await open_tasks(app, pilot)
    screen.query_one("#tasks").focus()
    await pilot.press("p")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, PrintDialog)
    if tick:
        dialog.query_one("#to-printer", Checkbox).toggle()
    await pilot.press("ctrl+s")
    await settle(pilot)
    return dialog


async def test_the_sheet_is_proposed_in_documents_and_printed(
    home: Path, town: DemoSummary, make_app: MakeApp, tmp_path: Path
) -> None:
    start_round(settings=CheckinSettings())
    (tmp_path / "bin").mkdir()
    lp = tmp_path / "bin" / "lp"
    lp.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path / "asked"}\n', encoding="utf-8")
    lp.chmod(0o755)
    app = make_app(language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tasks(app, pilot)
        screen.query_one("#tasks").focus()
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PrintDialog)
        proposed = home / "Documents" / "door-knock-2026-11-20.pdf"
        assert dialog.query_one("#path", Input).value == str(proposed)
        assert dialog.query_one("#to-printer", Checkbox).value  # lp is there: printing is the default
        for part in ("#path", "#to-printer", "#save"):  # all of it on an 80x24 terminal
            region = dialog.query_one(part).region
            assert region.height > 0 and region.right <= 80 and region.bottom <= 24
        await pilot.press("ctrl+s")
        await settle(pilot)
        messages = [notification.message for notification in app._notifications]
    assert proposed.read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "asked").read_text(encoding="utf-8") == f"{proposed}\n"
    assert messages == [f"敲门单已保存：{proposed}", f"敲门单已送到打印机：{proposed}"]
    assert list(Path.cwd().iterdir()) == []


async def test_without_lp_the_dialog_says_so_in_one_line(home: Path, town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await print_with_the_dialog(app, pilot, tick=True)  # not ticked by default: there is no lp
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
    saved = home / "Documents" / "door-knock-2026-11-20.pdf"
    assert saved.exists()
    assert warnings == [
        f"This computer has no print command (lp): the sheet is saved at {saved}; open it and print it from there."
    ]


async def test_a_bad_extension_is_shown_next_to_the_path(home: Path, town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tasks(app, pilot)
        screen.query_one("#tasks").focus()
        await pilot.press("p")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PrintDialog)
        dialog.query_one("#path", Input).value = str(home / "knock.docx")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # still open, the reason beside the field
        error = dialog.query_one("#field-path", FormField).error
    assert error == "knock.docx: save the door-knock sheet as .pdf, .html or .txt."
