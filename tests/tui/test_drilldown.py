"""From Today to the people behind a figure: Enter on a grid's bar lists that grid's silent residents, and Enter on
an alert shows it whole with its resident's number, a task to give and the resident to open."""

from __future__ import annotations

from textual.widgets import OptionList

from kit.alerts import raise_alert
from kit.checkin import start_round
from kit.config import CheckinSettings
from kit.demo import DemoSummary
from kit.models import CheckinAsk, Grid, Resident
from kit.resident_search import ResidentFilter, count_residents, find_residents
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.dialogs.alert_dialog import AlertDialog
from tui.dialogs.task_dialogs import NewTaskDialog
from tui.screens.residents import ResidentsScreen
from tui.widgets.round_bars import RoundBars


async def test_enter_on_a_grids_bar_lists_its_silent_residents(town: DemoSummary, make_app: MakeApp) -> None:
    start_round(settings=CheckinSettings())
    first_grid = min((grid.name for grid in Grid.select()), key=lambda name: (len(name), name))
    app = make_app("zh")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        bars = app.screen.query_one(RoundBars)
        bars.focus()
        await pilot.pause()
        assert bars.rows[0].grid == first_grid
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResidentsScreen)
        assert screen.filter.grid == first_grid and screen.filter.silent_on is not None
        silent = count_residents(screen.filter)
        in_grid = CheckinAsk.select().join(Resident).join(Grid).where(Grid.name == first_grid)
        asked_in_grid = in_grid.where(CheckinAsk.answered_at.is_null()).count()
        assert silent == asked_in_grid > 0
        assert f"{silent:,}" in screen_text(app)


async def test_enter_on_an_alert_shows_its_resident_and_gives_a_task(town: DemoSummary, make_app: MakeApp) -> None:
    resident = next(view for view in find_residents(limit=50) if view.phone)
    raise_alert("fever", f"{resident.name} 报告发烧 38.6°C", severity="urgent", resident_id=resident.id)
    app = make_app("zh")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        alerts = app.screen.query_one("#alerts", OptionList)
        alerts.focus()
        alerts.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AlertDialog)
        shown = screen_text(app)
        assert "报告发烧 38.6°C" in shown and "派任务" in shown
        assert resident.phone and resident.phone[-4:] in shown.replace(" ", "")
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTaskDialog) and form.resident == str(resident.id)
        await pilot.press("escape")
        await settle(pilot)
        alerts = app.screen.query_one("#alerts", OptionList)
        alerts.focus()
        alerts.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResidentsScreen)
        assert screen.filter == ResidentFilter(ids=[resident.id])
        assert resident.name in screen_text(app)
