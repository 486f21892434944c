"""The Residents screen: search as you type, filters, the detail pane, adding and editing with clear messages."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Select

from kit.demo import DemoSummary
from kit.models import Grid, Resident
from kit.resident_search import ResidentFilter, count_residents, find_residents
from kit.residents import set_status
from tests.tui.conftest import MakeApp, settle
from tui.app import LinliApp
from tui.dialogs.resident_form import ResidentForm
from tui.dialogs.resident_state import MonitoringDialog
from tui.screens.residents import PAGE, ResidentsScreen
from tui.widgets.form_field import FormField
from tui.widgets.lazy_table import LazyTable


async def open_residents(app: LinliApp, pilot: Pilot[None]) -> ResidentsScreen:
    await app.switch_mode("residents")
    await settle(pilot)
    assert isinstance(app.screen, ResidentsScreen)
    return app.screen


async def open_form(app: LinliApp, pilot: Pilot[None], key: str) -> ResidentForm:
    """The resident form the key `key` opens on the Residents screen (a: add, e: edit the first resident)."""
    screen = await open_residents(app, pilot)
    screen.query_one(LazyTable).focus()
    await pilot.press(key)
    await pilot.pause()
    form = app.screen
    assert isinstance(form, ResidentForm)
    return form


def names_shown(screen: ResidentsScreen) -> list[str]:
    table = screen.query_one(LazyTable)
    return [str(row.cells[0]) for row in table.loaded_rows()][: table.total]


async def test_first_page_and_count(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        table = screen.query_one(LazyTable)
        assert table.total == count_residents() == town.residents
        assert len(table.loaded_rows()) == PAGE  # one page, not the register
        assert f"{town.residents} of {town.residents} residents" in str(screen.query_one("#count").render())


async def test_search_as_you_type(town: DemoSummary, make_app: MakeApp) -> None:
    target = find_residents(limit=1, offset=40)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        await pilot.press(*target.name)
        await settle(pilot)
        shown = names_shown(screen)
        assert target.name in shown
        assert all(target.name in name for name in shown)
        assert screen.query_one(LazyTable).total == count_residents(ResidentFilter(query=target.name))


async def test_search_by_phone_as_people_write_it(town: DemoSummary, make_app: MakeApp) -> None:
    target = next(view for view in find_residents(limit=50) if view.phone)
    assert target.phone is not None
    national = target.phone.removeprefix("+86")
    spaced = f"{national[:3]} {national[3:7]} {national[7:]}"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        await pilot.press(*spaced)
        await settle(pilot)
        assert names_shown(screen) == [target.name]


async def test_status_filter(town: DemoSummary, make_app: MakeApp) -> None:
    ids = [view.id for view in find_residents(limit=3)]
    for resident_id in ids:
        set_status(resident_id, "red", actor="test")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        screen.query_one("#status", Select).value = "red"
        await settle(pilot)
        table = screen.query_one(LazyTable)
        assert [row.key for row in table.loaded_rows()] == ids
        # the status is a word on the row, not only a colour
        assert {str(row.cells[4]) for row in table.loaded_rows()} == {"RED"}


async def test_detail_pane_shows_history(town: DemoSummary, make_app: MakeApp) -> None:
    first = find_residents(limit=1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        await settle(pilot)
        assert screen.history is not None and screen.history.view.id == first.id
        body = str(screen.query_one("#detail-body").render())
        assert first.name in body and "Reports" in body and "Messages" in body and "Tasks" in body


async def test_add_with_a_bad_phone_says_why_and_saves_nothing(town: DemoSummary, make_app: MakeApp) -> None:
    before = Resident.select().count()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot, "a")
        form.query_one("#input-name", Input).value = "王秀英"
        form.query_one("#input-phone", Input).value = "12345"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open, nothing saved
        assert isinstance(form, ResidentForm)  # (`is` narrows `form` to app.screen's Screen[object] for mypy)
        message = form.field_error("phone")
        assert message and "12345" in message
        assert form.query_one("#field-phone").has_class("-invalid")
        assert Resident.select().count() == before
        # fixing the number saves
        form.query_one("#input-phone", Input).value = "138 0013 8000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ResidentForm)
        assert Resident.select().count() == before + 1
        assert Resident.get(Resident.phone == "+8613800138000").name == "王秀英"


async def test_a_grid_nobody_has_is_asked_about_and_made_when_saved_again(town: DemoSummary, make_app: MakeApp) -> None:
    grids = Grid.select().count()
    app = make_app("zh")  # the form speaks the community's language
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot, "a")
        form.query_one("#input-name", Input).value = "王秀英"
        form.query_one("#input-grid", Input).value = "第l网格"  # a lower-case L for the 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and isinstance(form, ResidentForm)
        message = form.field_error("grid")
        assert message.startswith("没有“第l网格”这个网格（现有网格：第1网格、") and "再按一次保存" in message
        assert (Grid.select().count(), Resident.select().where(Resident.name == "王秀英").count()) == (grids, 0)
        form.query_one("#input-grid", Input).value = "第9网格"  # another name is asked about again
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and form.field_error("grid").startswith("没有“第9网格”")
        await pilot.press("ctrl+s")  # the same name once more: the operator means it
        await settle(pilot)
        assert not isinstance(app.screen, ResidentForm)
    assert Resident.get(Resident.name == "王秀英").grid.name == "第9网格"
    assert Grid.select().count() == grids + 1


async def test_edit_changes_only_what_was_typed(town: DemoSummary, make_app: MakeApp) -> None:
    first = find_residents(limit=1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot, "e")
        form.query_one("#input-notes", Input).value = "腿脚不便"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ResidentForm)
    after = find_residents(ResidentFilter(ids=[first.id]))[0]
    assert after.notes == "腿脚不便"
    assert after.phone == first.phone and after.tags == first.tags


async def test_monitoring_needs_an_end_date(town: DemoSummary, make_app: MakeApp) -> None:
    first = find_residents(limit=1)[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        screen.query_one(LazyTable).focus()
        await pilot.press("m")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MonitoringDialog)
        dialog.query_one("#category", Select).value = "home_quarantine"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog
        assert "date monitoring ends" in dialog.query_one("#field-monitoring_until", FormField).error
        assert Resident.get_by_id(first.id).monitoring == "none"
        dialog.query_one("#until", Input).value = "2026-12-04"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not dialog
    resident = Resident.get_by_id(first.id)
    assert (resident.monitoring, str(resident.monitoring_until)) == ("home_quarantine", "2026-12-04")
