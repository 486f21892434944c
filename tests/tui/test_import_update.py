"""Residents: import (key i) previews an update from a revised sheet, in the community's language, and applies it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Checkbox, Input, Static

from kit.importer import import_residents
from kit.models import AuditEntry, Community, Resident
from kit.resident_search import find_residents
from kit.residents import ResidentInput, add_resident
from tests.kit.test_register_update import WEEK_1, sheet
from tests.tui.conftest import MakeApp, settle
from tests.tui.test_residents import open_residents
from tui.dialogs.import_update import ImportUpdateDialog
from tui.widgets.lazy_table import LazyTable


def week_2(tmp_path: Path, *, clash: bool = False) -> Path:
    rows = [list(row) for row in WEEK_1[:3]]  # 刘德明 is not on it
    rows[0][2] = "第3网格"
    if clash:
        rows[1][1] = "13800000009"  # 李建国 has a new phone...
        rows[2][1] = "13800000002"  # ...and 张淑珍's row gives his old one
    return sheet(tmp_path, rows, "第二周.csv")


async def test_import_shows_the_preview_and_applies_it(community: Community, tmp_path: Path, make_app: MakeApp) -> None:
    import_residents(sheet(tmp_path, WEEK_1))
    path = week_2(tmp_path)
    app = make_app(language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        screen.query_one(LazyTable).focus()  # from the list: in the search box "i" is a letter
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportUpdateDialog)
        dialog.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        await settle(pilot)

        shown = str(dialog.query_one("#preview-body", Static).render())
        assert "第二周.csv：新增 0 人 · 有变动 1 人 · 无变动 2 人 · 名册里有而表里没有 1 人" in shown
        assert "    网格 第2网格 -> 第3网格" in shown
        assert "表里没有  #4 刘德明 3-1-201" in shown
        assert {view.grid for view in find_residents(limit=None) if view.name == "王秀英"} == {"第2网格"}

        dialog.query_one("#mark-missing", Checkbox).toggle()
        await pilot.click("#apply")
        await settle(pilot)

        assert not isinstance(app.screen, ImportUpdateDialog)
    wang = next(view for view in find_residents(limit=None) if view.name == "王秀英")
    assert wang.grid == "第3网格"
    assert Resident.get(Resident.name == "刘德明").moved_out_at is not None
    entry = AuditEntry.get(AuditEntry.action == "import-update")
    assert entry.actor == "test-operator"


async def test_a_phone_clash_keeps_apply_disabled(community: Community, tmp_path: Path, make_app: MakeApp) -> None:
    import_residents(sheet(tmp_path, WEEK_1))
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        screen.query_one(LazyTable).focus()  # from the list: in the search box "i" is a letter
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportUpdateDialog)
        dialog.query_one("#path", Input).value = str(week_2(tmp_path, clash=True))
        await pilot.press("enter")
        await settle(pilot)
        shown = str(dialog.query_one("#preview-body", Static).render())
        assert "phone clash  line 4 张淑珍 (#3) gives +86 138 0000 0002, the number of 李建国 (#2) (line 3)" in shown
        assert dialog.query_one("#apply", Button).disabled
        assert "Fix the rows with problems" in str(dialog.query_one("#problem").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportUpdateDialog)
    assert {view.grid for view in find_residents(limit=None) if view.name == "王秀英"} == {"第2网格"}


async def test_a_path_that_is_not_a_file_is_said_in_the_dialog(
    community: Community, tmp_path: Path, make_app: MakeApp
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        screen.query_one(LazyTable).focus()  # from the list: in the search box "i" is a letter
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportUpdateDialog)
        dialog.query_one("#path", Input).value = str(tmp_path / "nowhere.xlsx")
        await pilot.press("enter")
        await settle(pilot)
        assert f"There is no file {tmp_path / 'nowhere.xlsx'}" in str(dialog.query_one("#problem").render())
        assert dialog.query_one("#apply", Button).disabled


async def test_a_register_changed_since_the_preview_is_said_and_nothing_applied(
    community: Community, tmp_path: Path, make_app: MakeApp
) -> None:
    import_residents(sheet(tmp_path, WEEK_1))
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_residents(app, pilot)
        screen.query_one(LazyTable).focus()
        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportUpdateDialog)
        dialog.query_one("#path", Input).value = str(week_2(tmp_path))
        await pilot.press("enter")
        await settle(pilot)
        add_resident(ResidentInput(name="新来的", phone="13700000001"))  # meanwhile, at another desk
        await pilot.click("#apply")
        await settle(pilot)
        assert not dialog.applying
        assert app.screen is dialog  # still open, to say why
        assert "The register changed since this preview" in str(dialog.query_one("#problem").render())
    assert {view.grid for view in find_residents(limit=None) if view.name == "王秀英"} == {"第2网格"}
